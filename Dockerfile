# syntax=docker/dockerfile:1
# sse-gateway image. Build: `docker build -t sse-gateway .`
#
# Stages: `build` compiles TypeScript with the dev dependencies; `deps` installs the production
# dependencies only; the final stage (the default target) gets compiled output, schemas and
# production node_modules. `demo` (`docker build --target demo`) is the build stage running
# `npm run demo`'s process for docker-compose: it needs tsx, a dev dependency, so it stays out of
# the production image.

# An exact Node 20 tag, the version the project is developed and tested on.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so a source-only change reuses the dependency layer.
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY schemas/package.json schemas/
COPY publisher-sdk/package.json publisher-sdk/
COPY gateway/package.json gateway/
COPY client/package.json client/
# --ignore-scripts: the root `prepare` script runs the build, which needs the sources copied below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY schemas/ schemas/
COPY publisher-sdk/ publisher-sdk/
COPY gateway/ gateway/
COPY client/ client/
# `npm run build` compiles every project of the root tsconfig.json and bundles the browser client
# (client/dist/browser.js, served by the demo page).
RUN npm run build

# The demo (docker-compose's `demo` service): the gateway, the demo page with its token endpoint,
# and the simulated crew publishing into Redis with the SDK. Not for production.
FROM build AS demo
COPY demo/ demo/
COPY deploy/docker/healthcheck.js deploy/docker/
ENV NODE_ENV=production \
    PORT=8080
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.js", "/readyz"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "demo/run.ts"]

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY schemas/package.json schemas/
COPY publisher-sdk/package.json publisher-sdk/
COPY gateway/package.json gateway/
COPY client/package.json client/
# Workspace links in node_modules/@sse-gateway are relative, so they resolve in the final stage
# where the workspaces sit at the same paths. The mkdir keeps the nested COPYs below valid when
# npm hoisted everything.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p schemas/node_modules publisher-sdk/node_modules gateway/node_modules

FROM ${NODE_IMAGE} AS runtime
# tini runs as PID 1: it forwards SIGTERM to Node and reaps zombies, so the gateway's drain
# handler runs on `docker stop` and on Kubernetes pod termination.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules node_modules/
COPY --from=deps /app/schemas/node_modules schemas/node_modules/
COPY --from=deps /app/publisher-sdk/node_modules publisher-sdk/node_modules/
COPY --from=deps /app/gateway/node_modules gateway/node_modules/
COPY package.json ./
COPY schemas/package.json schemas/envelope.schema.json schemas/
COPY schemas/events/ schemas/events/
COPY --from=build /app/schemas/dist/ schemas/dist/
COPY publisher-sdk/package.json publisher-sdk/
COPY --from=build /app/publisher-sdk/dist/ publisher-sdk/dist/
COPY gateway/package.json gateway/
COPY --from=build /app/gateway/dist/ gateway/dist/
COPY deploy/docker/healthcheck.js deploy/docker/
# Files stay owned by root and read-only to the process: it runs as the image's `node` user
# (uid 1000) and writes nothing but /tmp.
USER node
EXPOSE 8080
# No curl in slim images: a few lines of Node ask /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.js", "/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "gateway/dist/main.js"]
