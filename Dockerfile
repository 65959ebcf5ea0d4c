# syntax=docker/dockerfile:1
# Node 24 LTS (Node 20 reached end of life in April 2026). The local commands still run on Node 20+.
ARG NODE_IMAGE=node:24-bookworm-slim

# Build stage: compile TypeScript with the dev toolchain.
FROM ${NODE_IMAGE} AS build
# better-sqlite3 is a native addon: npm fetches a prebuilt binary when GitHub is reachable and
# compiles it otherwise, which needs these.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The build also copies the simulator's speech fixtures into dist, so `--simulate` works in the image.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# No build leftovers in the image: of better-sqlite3's compile only the addon itself is needed
# (objects, the static library, the test extension and the SQLite sources are not), and the
# source maps point at src/, which the image does not carry.
RUN find node_modules/better-sqlite3/build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
 && find node_modules/better-sqlite3/build/Release -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} + \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
 && find dist -name '*.map' -delete

# Runtime stage: production dependencies and compiled code only, as an unprivileged user.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies as built above (native addon included): no compiler in this image.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Defaults, the Acme example agents and the template. Mount your own agents over
# /app/config/agents (read-only is fine); see compose.yaml.
COPY config ./config
COPY assets ./assets
# Call records and recordings (records.dbPath, records.recording.dir): mount a volume here.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME /app/data
USER node
# HTTP + WebSocket (8080); SIP media is RTP on UDP sip.rtp.portMin–portMax (20000–24999), which
# must be published too (or use host networking) and advertised with RTP_ADVERTISED_ADDRESS.
EXPOSE 8080
EXPOSE 20000-24999/udp
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# SIGTERM starts a drain of up to 30 s (live calls finish); give the container that long to stop
# (compose: stop_grace_period; docker stop -t 40; Kubernetes: terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
