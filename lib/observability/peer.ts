import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import https from "node:https";

// The TCP peer of the request being handled. Next hands route handlers a
// Request without its socket, and the only address it passes on is
// X-Forwarded-For, which it fills from the socket only when the client did not
// send one: so a header cannot tell us who is really connected. Node's server
// can: every "request" event runs inside an AsyncLocalStorage scope holding the
// socket's remote address, and the handler's async work inherits that scope.
// The store lives on globalThis because instrumentation.ts and each route bundle
// load their own copy of this module.

const g = globalThis as typeof globalThis & { __pgPeerAddress?: AsyncLocalStorage<string> };

/** Called once per server process (instrumentation.ts), before requests are served. */
export function installPeerAddress(): void {
  if (g.__pgPeerAddress) return;
  const store = (g.__pgPeerAddress = new AsyncLocalStorage<string>());
  for (const proto of [http.Server.prototype, https.Server.prototype]) {
    const emit = proto.emit as (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
    proto.emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
      if (event !== "request") return emit.call(this, event, ...args);
      const address = (args[0] as http.IncomingMessage).socket?.remoteAddress ?? "";
      return store.run(address, () => emit.call(this, event, ...args));
    };
  }
}

/**
 * The remote address of the connection the current request came in on, or
 * undefined when it is not known (the hook is not installed, or the code does
 * not run for a request of this process's server). Never a header's value.
 */
export function peerAddress(): string | undefined {
  return g.__pgPeerAddress?.getStore() || undefined;
}
