// The client-safe face of lib/auth: what a console form gets back from a server action.
export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string; param?: string | null } };
