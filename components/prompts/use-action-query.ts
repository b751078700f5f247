"use client";
import { useEffect, useState } from "react";
import type { ActionResult } from "@/lib/auth/types";

/** Unwraps a server action's result for TanStack Query: failures become thrown errors. */
export async function unwrap<T>(p: Promise<ActionResult<T>>): Promise<T> {
  const r = await p;
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code, param: r.error.param });
  return r.data;
}

/** The value once it has stopped changing for `ms`: keeps live previews from firing on every keystroke. */
export function useDebounced<T>(value: T, ms = 300): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
