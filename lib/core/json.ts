import "server-only";

/** JSON response helper; kept free of auth imports so the gateway can use it from scripts. */
export function json(data: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(data), { ...init, headers });
}
