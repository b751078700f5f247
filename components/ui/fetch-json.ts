// The console's reads from its own routes (app/api/console): JSON in and out,
// the session cookie riding along, and a failure thrown as an Error carrying
// the route's `{error:{code,message,param}}`, so TanStack Query reports it like
// any other error and a caller can still tell a 404 from a bad field.

/** A failed read: the route's error code and message, and the field at fault when it names one. */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = "FetchError";
  }
}

type Options = {
  /** Sent as JSON with POST: a read whose question (a draft) is too big for a query string. */
  body?: unknown;
  signal?: AbortSignal;
};

export async function fetchJson<T>(url: string, { body, signal }: Options = {}): Promise<T> {
  const res = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: { accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    // Polled views (account health) must see the server's state now, never a cached answer.
    cache: "no-store",
    signal,
  });
  if (!res.ok) {
    const envelope = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; param?: string } } | null;
    const e = envelope?.error;
    throw new FetchError(e?.message ?? `The request failed (${res.status})`, e?.code ?? "http_error", res.status, e?.param ?? null);
  }
  return (await res.json()) as T;
}
