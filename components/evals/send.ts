// The evaluations pages' writes and polled reads: the management API (/api/admin), with the session
// cookie and the page's own Origin. A failure throws FetchError with the route's code, message and
// field, and the per-row `issues` of a refused upload.
import { FetchError } from "@/components/ui/fetch-json";

export type Issue = { path: string; message: string };
export class SendError extends FetchError {
  constructor(message: string, code: string, status: number, param: string | null, readonly issues: Issue[]) {
    super(message, code, status, param);
  }
}

export async function send<T>(method: "GET" | "POST" | "PATCH" | "DELETE", url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  if (!res.ok) {
    const e = ((await res.json().catch(() => null)) as { error?: { code?: string; message?: string; param?: string; issues?: Issue[] } } | null)?.error;
    throw new SendError(e?.message ?? `The request failed (${res.status})`, e?.code ?? "http_error", res.status, e?.param ?? null, e?.issues ?? []);
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}
