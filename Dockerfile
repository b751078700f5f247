# syntax=docker/dockerfile:1.7
# Promptgate container image. Not built on the machine this was written on (it
# has no Docker engine); see docs/operations.md for what was and was not run.
#
#   docker build -t promptgate .                     # the app (target: runtime)
#   docker build -t promptgate-release --target release .   # migrations + first seed, run once per release
#
# The app runs Promptgate's production server (scripts/server.ts: both doors,
# one worker per core, the drain) as a non-root user, exactly as `npm start` does. It needs
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
COPY scripts/lib/schema-digest.mjs scripts/lib/schema-digest.mjs
# postinstall generates the Prisma client into lib/db/generated. `npm install`
# rather than `npm ci`: the lockfile lists optional platform packages that some
# registries do not carry (README, Troubleshooting).
RUN npm install --no-audit

# ─── build: `next build`, then drop the dev-only packages ───
FROM deps AS build
COPY . .
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
RUN node scripts/prisma-generate.mjs && node node_modules/next/dist/bin/next build

# ─── release: migrations and first-start seed (a one-off job per release) ───
FROM deps AS release
COPY . .
ENV NODE_ENV=production
USER node
CMD ["node_modules/.bin/tsx", "--conditions=react-server", "deploy/docker/release.ts"]

# ─── runtime: the build and the production packages ───
# Not Next's standalone server.js: that would skip the fast door, the workers
# and the drain. scripts/server.ts runs through tsx (a runtime dependency).
FROM node:${NODE_VERSION} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    # Promptgate owns SIGTERM: readiness 503, streams drain (SHUTDOWN_DEADLINE_MS), usage flushed.
    NEXT_MANUAL_SIG_HANDLE=1 \
    AUTH_TRUST_HOST=true
COPY --from=build --chown=node:node /app ./
RUN npm prune --omit=dev --no-audit --no-fund && rm -rf .next/cache
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and receives SIGTERM itself (no shell in between); it is the
# cluster primary and forwards the drain to every worker (WEB_CONCURRENCY,
# default one per core the process may use; set it to the CPU limit under
# Kubernetes, where Node does not see the cgroup quota).
# Flags: scripts/lib/server-flags.ts (a larger young generation: far less RSS
# per open stream), and an old-space cap per worker. The heap after a full GC
# measured 180-205 MB idle and under load (bench/results/gateway.md); 384 MB
# leaves room for bursts while making V8 collect long before a worker and its
# 3 x 64 MB young generation outgrow a 1 GiB container, instead of letting the
# heap grow towards the host's memory and the kernel kill the pod.
CMD ["node", "--max-semi-space-size=64", "--max-old-space-size=384", "--import", "tsx", "scripts/server.ts"]
