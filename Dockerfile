# syntax=docker/dockerfile:1.7
# Promptgate container image. Not built on the machine this was written on (it
# has no Docker engine); see docs/operations.md for what was and was not run.
#
#   docker build -t promptgate .                     # the app (target: runtime)
#   docker build -t promptgate-release --target release .   # migrations + first seed, run once per release
#
# The app runs Next's standalone server as a non-root user. It needs
# DATABASE_URL, AUTH_SECRET and ENCRYPTION_KEY (it never starts an embedded
# Postgres in a container).

ARG NODE_VERSION=20.19-bookworm-slim

# ─── deps: every package, for building and for the release step ───
FROM node:${NODE_VERSION} AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false
COPY package.json package-lock.json ./
COPY prisma/schema prisma/schema
COPY prisma.config.ts prisma.config.ts
COPY scripts/prisma-generate.mjs scripts/prisma-generate.mjs
# postinstall generates the Prisma client into lib/db/generated. `npm install`
# rather than `npm ci`: the lockfile lists optional platform packages that some
# registries do not carry (README, Troubleshooting).
RUN npm install --no-audit

# ─── build: `next build` with standalone output ───
FROM deps AS build
COPY . .
ENV NODE_ENV=production NEXT_OUTPUT=standalone NEXT_TELEMETRY_DISABLED=1
RUN node scripts/prisma-generate.mjs && node node_modules/next/dist/bin/next build

# ─── release: migrations and first-start seed (a one-off job per release) ───
FROM deps AS release
COPY . .
ENV NODE_ENV=production
USER node
CMD ["node_modules/.bin/tsx", "--conditions=react-server", "deploy/docker/release.ts"]

# ─── runtime: only the standalone server and what it reads at run time ───
FROM node:${NODE_VERSION} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    # Promptgate owns SIGTERM: readiness 503, streams drain (SHUTDOWN_DEADLINE_MS), usage flushed.
    NEXT_MANUAL_SIG_HANDLE=1 \
    AUTH_TRUST_HOST=true
COPY --from=build --chown=node:node /app/.next/standalone ./
COPY --from=build --chown=node:node /app/.next/static ./.next/static
# Readiness compares the applied migrations with these folders.
COPY --from=build --chown=node:node /app/prisma/migrations ./prisma/migrations
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and receives SIGTERM itself (no shell in between).
# The flags of scripts/lib/server-flags.ts (a larger young generation: far less RSS per open stream).
CMD ["node", "--max-semi-space-size=64", "server.js"]
