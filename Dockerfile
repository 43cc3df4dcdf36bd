# syntax=docker/dockerfile:1
# tornade's controller (`tornade serve`): the embedded mode (SQLite on a volume) or the replicated mode (DynamoDB +
# SQS, see docs/scale-out.md) on any container host — an ECS service behind an ALB, a VM, Kubernetes.
# Build:  docker buildx build --platform linux/amd64,linux/arm64 -t tornade:TAG .
# Run:    docker run -p 8080:8080 -v tornade-data:/data -e APP_ID=… -e SECRET_KEY_PEM=… -e TORNADE_WEBHOOK_SECRET=… …
# With no configuration at all it serves the (loudly labelled) sandbox, as `npm start` does.

ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# better-sqlite3 downloads a prebuilt binary for linux x64/arm64 (glibc); the compilers are the fallback if it cannot.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The lock file covers the infra/ workspace too, so its package.json must be present for `npm ci` to agree with it.
COPY package.json package-lock.json ./
COPY infra/package.json infra/package.json
RUN npm ci --omit=dev --no-audit --no-fund \
 # The CDK (infra/'s dependencies) is never imported by the controller; drop it from the image.
 && rm -rf node_modules/aws-cdk-lib node_modules/cdk-nag node_modules/constructs node_modules/@tornade \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=8080 \
    TORNADE_STORE_PATH=/data/tornade.db
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
# tsx (a runtime dependency) runs the TypeScript sources directly, as in a clone: no build step.
COPY bin ./bin
COPY src ./src
# The sandbox (`tornade serve` with no configuration) runs against the in-process test bed.
COPY testbed ./testbed
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# node:20-slim has no curl; Node's own fetch checks the endpoint the load balancer also uses.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/tornade.js"]
CMD ["serve"]
