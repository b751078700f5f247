"use client";
import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/auth/types";

export type ActionError = Extract<ActionResult<unknown>, { ok: false }>["error"];

type Options<O, D> = {
  /**
   * The fields that show their own error; an error naming any other field is shown above the form.
   * Without it, every error that names a field is taken to be shown beside that field.
   */
  fields?: readonly string[];
  /** What the form shows after a success (a message, a one-time secret); cleared by the next submit or failure. */
  done?: (data: O) => D;
  /** Empty the fields after a success: create forms start over, edit forms keep what was saved. */
  reset?: boolean;
  /** Follow-ups (refresh, navigate, refetch) that run inside the transition, so the button stays pending until they finish. */
  onSuccess?: (data: O) => void | Promise<void>;
};

/** `param` names the field at fault; zod reports items of a list below it (`tags.2`), which belong to the same field. */
const under = (param: string | null | undefined, field: string) => !!param && (param === field || param.startsWith(`${field}.`));

/**
 * A console form that calls one authedAction: the pending flag, the action's
 * error (shown beside the field its `param` names, or above the form), and
 * what to do on success. `error` and `done` are never both set, so a form
 * never shows a stale success next to a new failure.
 */
export function useActionForm<I, O, D = never>(action: (input: I) => Promise<ActionResult<O>>, options: Options<O, D> = {}) {
  const [pending, start] = useTransition();
  const [error, setError] = useState<ActionError | null>(null);
  const [done, setDone] = useState<D | null>(null);

  const submit = (form: HTMLFormElement, input: I) => {
    setDone(null);
    start(async () => {
      const res = await action(input);
      // An action that redirects (sign-out) resolves with nothing: the navigation is its answer.
      if (!res) return;
      if (!res.ok) {
        setError(res.error);
        return;
      }
      setError(null);
      if (options.done) setDone(options.done(res.data));
      if (options.reset) form.reset();
      await options.onSuccess?.(res.data);
    });
  };

  return {
    pending,
    error,
    done,
    submit,
    /** For checks the browser makes before calling the action, shown the same way as the server's. */
    setError: (e: ActionError) => {
      setDone(null);
      setError(e);
    },
    /** The message for the field named `param`, if the error is about it. */
    fieldError: (param: string) => (error && under(error.param, param) ? error.message : null),
    /** The message for above the form: an error that names no field, or one no listed field shows. */
    formError: error && (!error.param || (options.fields && !options.fields.some((f) => under(error.param, f)))) ? error.message : null,
  };
}
