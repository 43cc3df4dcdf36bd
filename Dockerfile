# syntax=docker/dockerfile:1
# tornade's controller (`tornade serve`): the embedded mode (SQLite on a volume) or the replicated mode (DynamoDB +
# SQS, see docs/scale-out.md) on any container host — an ECS service behind an ALB, a VM, Kubernetes.
# Build:  docker buildx build --platform linux/amd64,linux/arm64 -t tornade:TAG .
# Run:    docker run -p 8080:8080 -v tornade-data:/data -e APP_ID=… -e SECRET_KEY_PEM=… -e TORNADE_WEBHOOK_SECRET=… …
# Only the public port (PORT, POST /events and GET /healthz) is for the load balancer. Without configuration the
# container refuses to start and names what to set; it has no sandbox (the test bed is not in the image).
#
# The image holds the compiled package only: dist/cli (the bundled command bin/tornade.js runs), dist/src, bin/tornade.js,
# package.json and the production dependencies.
# No TypeScript sources, no test bed, no dev dependencies. test/build/package.test.ts installs exactly this layout
# from the npm tarball and runs it, since no Docker engine runs where tornade is tested.

ARG NODE_IMAGE=node:24-slim

# 0. Node with a C++ toolchain, for the dev dependencies the build installs (native ones compile where no binary fits).
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# 1. Compile: every dependency (the compiler is a dev dependency), then `npm run build` → dist/.
FROM toolchain AS build
WORKDIR /src
# The lock file covers the infra/ workspace too, so its package.json must be present for `npm ci` to agree with it.
COPY package.json package-lock.json ./
COPY infra/package.json infra/package.json
# --ignore-scripts: `prepare` would build before the sources are here; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src src
COPY testbed testbed
RUN npm run build

# 2. Production dependencies only, native modules built for this Node.
FROM toolchain AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY infra/package.json infra/package.json
# better-sqlite3 13 ships Node-API binaries in its package; 12 (the alias better-sqlite3-node20) is for Node 20 only
# (src/store/sqlite-driver.ts), so it is neither built nor kept.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/better-sqlite3-node20 \
 # The CDK (infra/'s dependencies) is never imported by the controller; drop it from the image.
 && rm -rf node_modules/aws-cdk-lib node_modules/cdk-nag node_modules/constructs node_modules/@tornade \
 && npm cache clean --force

# 3. The image: Node.js 24 LTS, the compiled controller, its dependencies.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=4 \
    MALLOC_ARENA_MAX=2 \
    PORT=8080 \
    TORNADE_STORE_PATH=/data/tornade.db
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin/tornade.js ./bin/tornade.js
COPY --from=build /src/dist/cli ./dist/cli
COPY --from=build /src/dist/src ./dist/src
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# node:24-slim has no curl; Node's own fetch checks the endpoint the load balancer also uses.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/tornade.js"]
CMD ["serve"]
