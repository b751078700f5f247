import "server-only";
import { z } from "zod";

// Path parameter schemas for apiRoute's `params` option: a malformed id is a
// 400 naming the segment, before any handler or query runs.

/** `[id]`: a uuid; `what` names it in the error ("must be an account id"). */
export const idParams = (what: string) => z.object({ id: z.string().uuid(`must be ${what}`) });

/** `[name]`: a prompt or variable name (the domain decides whether it exists). */
export const nameParams = z.object({ name: z.string() });
