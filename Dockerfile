# syntax=docker/dockerfile:1
#
# aiops-worker container image.
#   docker build -t aiops-worker .
#   docker run --rm -p 9470:9470 -e REDIS_URL=redis://redis:6379 aiops-worker
# The image holds no Redis: set REDIS_URL (see docker-compose.yml).

# ---- build: compile TypeScript to dist/ ------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: skip `prepare` (tsc) here, the sources are not copied yet.
RUN npm ci --ignore-scripts
COPY tsconfig*.json ./
COPY src ./src
COPY detectors ./detectors
COPY config ./config
RUN npm run build

# ---- runtime: production dependencies + compiled output only ----------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs tsc, a dev dependency that is not installed here.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
# Files stay root-owned (read-only to the process); the worker runs as the image's `node` user.
USER node
EXPOSE 9470
# No curl/wget in the slim image: use Node's built-in fetch. The port follows
# AIOPS_SERVER__PORT when that is how the port was changed (default 9470).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.AIOPS_SERVER__PORT || 9470) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["start", "--host", "0.0.0.0", "--config", "config/default.yaml"]
