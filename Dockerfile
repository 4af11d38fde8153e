# Sitewatt in a container: `docker compose up` (see docker-compose.yml), or
#   docker build -t sitewatt . && docker run -p 3000:3000 -v sitewatt-data:/data \
#     -e SESSION_SECRET="$(openssl rand -hex 32)" sitewatt
# tests/ops/dockerfile.test.ts performs these steps outside Docker (no engine on our machines):
# keep the RUN, COPY, ENV and CMD lines in the forms it understands, or teach it the new ones.
# Node 24 is an LTS line that better-sqlite3 12 and argon2 support; override with --build-arg.
ARG NODE_VERSION=24

# Build: native modules (better-sqlite3, argon2) compile here if no prebuilt binary fits,
# TypeScript compiles to dist/, then dev dependencies are pruned for the runtime stage.
FROM node:${NODE_VERSION}-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tools/ holds the bundler the build runs (and test harnesses); the runtime stage takes only dist/.
COPY tools/bundle.ts ./tools/bundle.ts
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

# Runtime: production dependencies, compiled code, migrations, templates and assets; no compiler.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_PATH=/data/sitewatt.db
WORKDIR /app
# The image's `node` user (uid 1000) owns the data folder; nothing else in /app is writable.
RUN mkdir -p /data && chown node:node /data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY drizzle ./drizzle
COPY views ./views
COPY public ./public
USER node
VOLUME /data
EXPOSE 3000
# Slim images have no curl: node asks /healthz itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# node directly, not `npm start` (its prestart checks the build against sources the image does not
# hold, and npm does not forward SIGTERM reliably); the server closes gracefully on SIGTERM.
# Production needs SESSION_SECRET (>= 32 chars).
CMD ["node", "dist/server.js"]
