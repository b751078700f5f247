// Any /api path that no route matches: a JSON 404 in the API's own envelope,
// never Next's HTML page (clients of an API parse JSON, also when they are wrong).
import { AppError, errorResponse } from "@/lib/core";

async function notFound(req: Request): Promise<Response> {
  const { pathname } = new URL(req.url);
  const envelope = pathname.startsWith("/api/v1/") ? "openai" : "default";
  return errorResponse(new AppError("not_found", `No API route at ${req.method} ${pathname}`), envelope);
}

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
