/**
 * Environment variables tornade reads, each mapped onto a configuration key. The seed's names (APP_ID,
 * SECRET_KEY_PEM, LAUNCH_LABEL, PERSONAL_TOKEN, PORT) are accepted as the seed wrote them; everything else is
 * TORNADE_*. An environment variable overrides the same key in the config file.
 */

export type EnvKind = "string" | "number" | "boolean" | "list";

export interface EnvVar {
  readonly name: string;
  /** Dotted configuration key it sets. */
  readonly key: string;
  readonly kind: EnvKind;
  readonly doc: string;
}

/** Names the path of a YAML (.yaml/.yml) or JSON (.json) configuration file, when `--config` is not given. */
export const CONFIG_FILE_ENV = "TORNADE_CONFIG";

export const ENV_VARS: readonly EnvVar[] = [
  { name: "LAUNCH_LABEL", key: "launchLabel", kind: "string", doc: "label every tornade job carries besides self-hosted (seed); default tornade" },
  { name: "APP_ID", key: "github.appId", kind: "number", doc: "GitHub App ID (seed)" },
  { name: "SECRET_KEY_PEM", key: "github.privateKey", kind: "string", doc: "GitHub App private key: base64 of the PEM (seed), PEM text, or a path to the PEM file" },
  { name: "PERSONAL_TOKEN", key: "github.personalToken", kind: "string", doc: "personal access token, used when no App is configured (seed)" },
  { name: "PORT", key: "server.port", kind: "number", doc: "public HTTP port (seed): POST /events and GET /healthz only; default 8080" },
  { name: "TORNADE_SANDBOX", key: "sandbox", kind: "boolean", doc: "true: run against the in-process test bed" },
  { name: "TORNADE_LOG_LEVEL", key: "logLevel", kind: "string", doc: "the least severe log line written: trace, debug, info (default), warn or error" },
  { name: "TORNADE_DEFAULT_BACKEND", key: "defaultBackend", kind: "string", doc: "FARGATE (default), FARGATE_SPOT or CODEBUILD, for jobs without runs-on=" },
  { name: "TORNADE_DEFAULT_ARCH", key: "defaultArch", kind: "string", doc: "X86_64 (default) or ARM64, for jobs without arch=" },
  { name: "TORNADE_DEFAULT_CPU", key: "defaults.cpu", kind: "number", doc: "Fargate vCPU for jobs naming no size" },
  { name: "TORNADE_DEFAULT_MEMORY", key: "defaults.memory", kind: "number", doc: "Fargate memory (MiB) for jobs naming no size" },
  { name: "TORNADE_DEFAULT_DISK", key: "defaults.disk", kind: "number", doc: "Fargate ephemeral storage (GiB, 21–200)" },
  { name: "TORNADE_DEFAULT_SIZE", key: "defaults.size", kind: "string", doc: "size preset for jobs naming none (small … 2xlarge)" },
  { name: "TORNADE_WEBHOOK_SECRET", key: "github.webhookSecret", kind: "string", doc: "the GitHub App's webhook secret (required unless sandbox)" },
  { name: "TORNADE_GITHUB_BASE_URL", key: "github.baseUrl", kind: "string", doc: "GitHub API URL; https://HOST/api/v3 for Enterprise Server" },
  { name: "TORNADE_RUNNER_SCOPE", key: "github.runnerScope", kind: "string", doc: "repo (default) or org: where runners register" },
  { name: "TORNADE_RUNNER_GROUP_ID", key: "github.runnerGroupId", kind: "number", doc: "runner group for org runners; default 1 (Default), refused with an allow-list: use a group restricted to the allowed repositories" },
  { name: "TORNADE_ALLOWED_REPOSITORIES", key: "github.allowedRepositories", kind: "list", doc: "comma-separated owner/repo; empty = all" },
  { name: "TORNADE_ALLOWED_ORGANIZATIONS", key: "github.allowedOrganizations", kind: "list", doc: "comma-separated owner logins; empty = all" },
  { name: "TORNADE_ALLOW_PUBLIC_REPOSITORIES", key: "github.allowPublicRepositories", kind: "boolean", doc: "true: also serve public repositories (a fork's pull request then reaches a runner); default false" },
  { name: "TORNADE_AWS_REGION", key: "aws.region", kind: "string", doc: "AWS region (falls back to AWS_REGION)" },
  { name: "AWS_REGION", key: "aws.region", kind: "string", doc: "the AWS SDK's standard region variable, used when TORNADE_AWS_REGION is unset" },
  { name: "TORNADE_AWS_ENDPOINT", key: "aws.endpoint", kind: "string", doc: "AWS endpoint override (test bed)" },
  { name: "TORNADE_ECS_CLUSTER", key: "aws.cluster", kind: "string", doc: "ECS cluster for Fargate runners" },
  { name: "TORNADE_SUBNETS", key: "aws.subnets", kind: "list", doc: "comma-separated subnet ids for Fargate tasks" },
  { name: "TORNADE_SECURITY_GROUPS", key: "aws.securityGroups", kind: "list", doc: "comma-separated security group ids" },
  { name: "TORNADE_ASSIGN_PUBLIC_IP", key: "aws.assignPublicIp", kind: "boolean", doc: "true only for public subnets without NAT; default false" },
  { name: "TORNADE_TASK_DEFINITION_X86_64", key: "aws.taskDefinitions.X86_64", kind: "string", doc: "runner task definition, x86_64" },
  { name: "TORNADE_TASK_DEFINITION_ARM64", key: "aws.taskDefinitions.ARM64", kind: "string", doc: "runner task definition, ARM64" },
  { name: "TORNADE_CONTAINER_NAME", key: "aws.containerName", kind: "string", doc: "runner container name in the task definition; default runner" },
  { name: "TORNADE_CODEBUILD_PROJECT_X86_64", key: "aws.codebuild.projectX86_64", kind: "string", doc: "CodeBuild project, x86_64" },
  { name: "TORNADE_CODEBUILD_PROJECT_ARM64", key: "aws.codebuild.projectARM64", kind: "string", doc: "CodeBuild project, ARM64 (may be the same project)" },
  { name: "TORNADE_CODEBUILD_IMAGE_X86_64", key: "aws.codebuild.images.X86_64", kind: "string", doc: "CodeBuild image override, x86_64" },
  { name: "TORNADE_CODEBUILD_FLEETS", key: "aws.codebuild.fleets", kind: "string", doc: "CodeBuild reserved-capacity fleets jobs may ask for with fleet=NAME: NAME=FLEET_ARN, comma-separated (docs/standby.md)" },
  { name: "TORNADE_CODEBUILD_IMAGE_ARM64", key: "aws.codebuild.images.ARM64", kind: "string", doc: "CodeBuild image override, ARM64" },
  { name: "TORNADE_JITCONFIG_PARAMETER_PREFIX", key: "aws.jitConfig.parameterPrefix", kind: "string", doc: "SSM name prefix of the one-time parameters that carry runners' JIT configs; runner roles may read and delete only under it; default /tornade/jit/" },
  { name: "TORNADE_JITCONFIG_KMS_KEY_ID", key: "aws.jitConfig.kmsKeyId", kind: "string", doc: "KMS key (id, ARN or alias) those parameters are encrypted with: the controller may encrypt, only runner roles decrypt; default alias/tornade-runner-jitconfig (not alias/aws/ssm)" },
  { name: "TORNADE_HOST", key: "server.host", kind: "string", doc: "address the public listener (POST /events, GET /healthz) binds; default 0.0.0.0 (GitHub must reach it)" },
  { name: "TORNADE_BODY_LIMIT_BYTES", key: "server.bodyLimitBytes", kind: "number", doc: "largest webhook body accepted; default 262144 (256 KiB, 23× the largest published workflow_job delivery)" },
  { name: "TORNADE_MAX_CONNECTIONS", key: "server.maxConnections", kind: "number", doc: "connections the public listener holds at once; more are closed on arrival; default 256" },
  { name: "TORNADE_REQUEST_TIMEOUT_SECONDS", key: "server.requestTimeoutSeconds", kind: "number", doc: "a request (headers and body) not received within this is cut off with 408; default 10" },
  { name: "TORNADE_HEADERS_TIMEOUT_SECONDS", key: "server.headersTimeoutSeconds", kind: "number", doc: "request headers not received within this are cut off; default 5, at most the request timeout" },
  { name: "TORNADE_IDLE_TIMEOUT_SECONDS", key: "server.idleTimeoutSeconds", kind: "number", doc: "a kept-alive connection idle this long is closed; default 5" },
  { name: "TORNADE_ADMIN_PORT", key: "admin.port", kind: "number", doc: "port of the operator listener (dashboard, /api, /metrics, /setup); default 9090" },
  { name: "TORNADE_ADMIN_HOST", key: "admin.host", kind: "string", doc: "address of the operator listener; default 127.0.0.1. Any non-loopback address requires TORNADE_ADMIN_TOKEN" },
  { name: "TORNADE_ADMIN_TOKEN", key: "admin.token", kind: "string", doc: "bearer token (at least 32 characters) the operator listener requires on every request; required when admin.host is not loopback" },
  { name: "TORNADE_SETUP_FILE", key: "setup.credentialsPath", kind: "string", doc: "where /setup writes the new GitHub App's credentials (0600); default tornade-github-app.json beside the store" },
  { name: "TORNADE_STORE_PATH", key: "store.path", kind: "string", doc: "SQLite file; default tornade.db" },
  { name: "TORNADE_STORE", key: "store.kind", kind: "string", doc: "sqlite (default) or dynamodb (replicated / serverless)" },
  { name: "TORNADE_DYNAMODB_TABLE", key: "store.table", kind: "string", doc: "DynamoDB table (store dynamodb); layout in docs/scale-out.md" },
  { name: "TORNADE_DYNAMODB_ENDPOINT", key: "store.endpoint", kind: "string", doc: "DynamoDB endpoint override (a local DynamoDB for tests)" },
  { name: "TORNADE_QUEUE", key: "queue.kind", kind: "string", doc: "sqlite (default) or sqs (needs store dynamodb)" },
  { name: "TORNADE_SQS_QUEUE_URL", key: "queue.url", kind: "string", doc: "SQS standard queue URL (queue sqs)" },
  { name: "TORNADE_SQS_ENDPOINT", key: "queue.endpoint", kind: "string", doc: "SQS endpoint override (a local SQS for tests)" },
  { name: "TORNADE_PRICES_REGION", key: "prices.region", kind: "string", doc: "region the cost prices are for; default us-east-1 (set prices.* in the file for other prices)" },
  { name: "TORNADE_SPOT_DISCOUNT", key: "prices.spotDiscount", kind: "number", doc: "fraction off Fargate for FARGATE_SPOT in cost estimates, 0..1; default 0.7" },
  { name: "TORNADE_WORKERS", key: "workers.concurrency", kind: "number", doc: "launches worked on at once; default 4" },
  { name: "TORNADE_SWEEP_INTERVAL_SECONDS", key: "sweeper.intervalSeconds", kind: "number", doc: "seconds between sweeper and reaper rounds (failed deliveries, jobs without a webhook, idle runners) while they find work; quiet rounds back off to 5 times this; default 60" },
  { name: "TORNADE_DISCOVERY_BUDGET", key: "sweeper.discoveryBudget", kind: "number", doc: "GitHub calls a sweeper round may spend finding queued jobs no webhook brought; default 10, 0 turns it off" },
  { name: "TORNADE_MAX_RUNNERS", key: "limits.maxRunners", kind: "number", doc: "runners at once, all backends, static pool runners included; jobs beyond wait in order; default 50 (a cost ceiling, docs/security.md)" },
  { name: "TORNADE_MAX_RUNNERS_FARGATE", key: "limits.perBackend.FARGATE", kind: "number", doc: "FARGATE runners at once" },
  { name: "TORNADE_MAX_RUNNERS_FARGATE_SPOT", key: "limits.perBackend.FARGATE_SPOT", kind: "number", doc: "FARGATE_SPOT runners at once" },
  { name: "TORNADE_MAX_RUNNERS_CODEBUILD", key: "limits.perBackend.CODEBUILD", kind: "number", doc: "CODEBUILD runners at once (CodeBuild's own concurrent-build quota applies too)" },
  { name: "TORNADE_MAX_CPU", key: "limits.maxCpu", kind: "number", doc: "most vCPU one Fargate runner may ask for; a job asking more is rejected; default 8" },
  { name: "TORNADE_MAX_MEMORY", key: "limits.maxMemory", kind: "number", doc: "most memory (MiB) one Fargate runner may ask for; default 32768 (32 GiB)" },
  { name: "TORNADE_MAX_DISK", key: "limits.maxDisk", kind: "number", doc: "most Fargate ephemeral storage (GiB, 21–200) one runner may ask for; default 100" },
  { name: "TORNADE_MAX_CODEBUILD_SIZE", key: "limits.maxCodeBuildSize", kind: "string", doc: "largest CodeBuild size (small … 2xlarge) a job may ask for; default large" },
  { name: "TORNADE_MAX_LAUNCH_ATTEMPTS", key: "launch.maxAttempts", kind: "number", doc: "launch attempts per job before giving up with a visible reason; default 5" },
  { name: "TORNADE_SPOT_FALLBACK", key: "launch.spotFallback", kind: "boolean", doc: "FARGATE_SPOT without capacity falls back to FARGATE; default true" },
  { name: "TORNADE_LAUNCH_TIMEOUT_SECONDS", key: "launch.inFlightTimeoutSeconds", kind: "number", doc: "a launch unanswered this long (a crash mid-launch) is replaced; default 120" },
  { name: "TORNADE_BOOT_TIMEOUT_SECONDS", key: "launch.bootTimeoutSeconds", kind: "number", doc: "a runner not running this long after launch is stopped and replaced; default 600" },
  { name: "TORNADE_IDLE_TIMEOUT_SECONDS", key: "launch.idleTimeoutSeconds", kind: "number", doc: "a runner idle this long after its job ran elsewhere is deregistered and stopped; default 300" },
  { name: "TORNADE_CONFIRM_OLDER_THAN_SECONDS", key: "launch.confirmOlderThanSeconds", kind: "number", doc: "a job first heard of this long after GitHub created it gets one GET confirming it is still queued before its first launch; default 300" },
  { name: "TORNADE_SPOT_RERUN", key: "launch.spotRerun", kind: "boolean", doc: "re-run once a job whose Spot runner was interrupted mid-job; default true" },
  { name: "TORNADE_RERUN_BACKEND", key: "launch.rerunBackend", kind: "string", doc: "backend of such a re-run: FARGATE (default), FARGATE_SPOT, CODEBUILD or same" },
  { name: "TORNADE_POOL", key: "pool.runners", kind: "string", doc: "always-on pool for type=static jobs: BACKEND/ARCH=SIZE, comma-separated, e.g. FARGATE/X86_64=2; default none" },
  { name: "TORNADE_POOL_OWNER", key: "pool.owner", kind: "string", doc: "owner (or organization) the pool's runners register in" },
  { name: "TORNADE_POOL_REPO", key: "pool.repo", kind: "string", doc: "repository the pool's runners register in (runner scope repo)" },
  { name: "TORNADE_POOL_INSTALLATION_ID", key: "pool.installationId", kind: "number", doc: "the GitHub App's installation id on the pool's owner" },
  { name: "TORNADE_POOL_TIME_ZONE", key: "pool.timeZone", kind: "string", doc: "IANA time zone of the pool's schedule; default UTC" },
  { name: "TORNADE_POOL_SCHEDULE", key: "pool.schedule", kind: "string", doc: "when the pool is up, e.g. Mon-Fri 08:00-20:00 (several separated by ;); default always" },
  { name: "TORNADE_POOL_BOOT_TIMEOUT_SECONDS", key: "pool.bootTimeoutSeconds", kind: "number", doc: "a pool runner not online after this long is replaced; default 600" },
  { name: "TORNADE_POOL_INTERVAL_SECONDS", key: "pool.intervalSeconds", kind: "number", doc: "seconds between pool rounds; default 30" },
  { name: "TORNADE_INTAKE", key: "intake", kind: "string", doc: "where jobs come from: webhooks, scale-sets or both; default both with scale sets, webhooks without (docs/scale-sets.md)" },
  { name: "TORNADE_SCALE_SETS", key: "scaleSets.sets", kind: "string", doc: "runner scale sets: NAME=BACKEND[/ARCH[/SIZE[/IMAGE]]][:MIN-MAX], comma-separated, e.g. linux-x64=FARGATE_SPOT/X86_64:0-20; default none (docs/scale-sets.md)" },
  { name: "TORNADE_SCALE_SETS_OWNER", key: "scaleSets.owner", kind: "string", doc: "organization (or repository owner) the scale sets belong to" },
  { name: "TORNADE_SCALE_SETS_REPO", key: "scaleSets.repo", kind: "string", doc: "repository the scale sets belong to (runner scope repo)" },
  { name: "TORNADE_SCALE_SETS_INSTALLATION_ID", key: "scaleSets.installationId", kind: "number", doc: "the GitHub App's installation id on the scale sets' owner" },
  { name: "TORNADE_SCALE_SETS_RUNNER_GROUP", key: "scaleSets.runnerGroup", kind: "string", doc: "runner group (by name) of organization scale sets; default the Default group" },
  { name: "TORNADE_SCALE_SETS_CONFIG_URL", key: "scaleSets.configUrl", kind: "string", doc: "the scope's web URL (https://github.com/ORG[/REPO]) when github.baseUrl cannot tell it" },
  { name: "TORNADE_SCALE_SETS_INTERVAL_SECONDS", key: "scaleSets.intervalSeconds", kind: "number", doc: "seconds between statistics rounds of each scale set; default 30" },
  { name: "TORNADE_SCALE_SETS_LEASE_SECONDS", key: "scaleSets.leaseSeconds", kind: "number", doc: "how long a replica's hold on a scale set's session lasts unrenewed; default 60" },
  { name: "TORNADE_STANDBY", key: "standby.shapes", kind: "string", doc: "standby runners, booted and waiting for the next job of their shape: BACKEND[/ARCH[/SIZE[/IMAGE]]]=COUNT, comma-separated, e.g. FARGATE_SPOT/X86_64=3; COUNT adaptive sizes a shape from its arrivals (TORNADE_STANDBY_ADAPTIVE_*); default none (docs/standby.md)" },
  { name: "TORNADE_STANDBY_TIME_ZONE", key: "standby.timeZone", kind: "string", doc: "IANA time zone of the standbys' schedule; default UTC" },
  { name: "TORNADE_STANDBY_SCHEDULE", key: "standby.schedule", kind: "string", doc: "when standbys are kept, e.g. Mon-Fri 07:00-19:00 (several separated by ;); default always" },
  { name: "TORNADE_STANDBY_MAX_IDLE_MINUTES", key: "standby.maxIdleMinutes", kind: "number", doc: "a standby older than this is recycled (fresh image, fresh task); default 30" },
  { name: "TORNADE_STANDBY_BOOT_TIMEOUT_SECONDS", key: "standby.bootTimeoutSeconds", kind: "number", doc: "a standby not running after this long is replaced; default 600" },
  { name: "TORNADE_STANDBY_INTERVAL_SECONDS", key: "standby.intervalSeconds", kind: "number", doc: "seconds between standby rounds; default 15" },
  { name: "TORNADE_STANDBY_SSM_POLLS_PER_SECOND", key: "standby.ssmPollsPerSecond", kind: "number", doc: "Parameter Store polls a second all standbys together may make (each polls every second while that fits); default 20 of the account's 40" },
  { name: "TORNADE_STANDBY_ADAPTIVE_MAX", key: "standby.adaptive.max", kind: "number", doc: "at most this many standbys per shape with COUNT adaptive; default 10" },
  { name: "TORNADE_STANDBY_ADAPTIVE_MAX_COST_PER_HOUR", key: "standby.adaptive.maxCostPerHour", kind: "number", doc: "at most this many dollars an hour for an adaptive shape's standbys (the prices section's rates); default no cap" },
  { name: "TORNADE_STANDBY_ADAPTIVE_WINDOW_MINUTES", key: "standby.adaptive.windowMinutes", kind: "number", doc: "an adaptive shape's arrival rate is read over this many minutes; default 15" },
  { name: "TORNADE_CLOCK_SPEED", key: "clock.speed", kind: "number", doc: "test beds only: run at the test bed's compressed clock speed; default 1" },
  { name: "TORNADE_CLOCK_ORIGIN", key: "clock.origin", kind: "number", doc: "test beds only: the compressed clock's origin (epoch ms), shared with the test bed" },
];

/**
 * Variables that do not by themselves mean "this is configured" (a platform sets PORT; AWS_REGION is ambient; the
 * admin port only moves a listener, as `serve --admin-port` does in the sandbox).
 */
const AMBIENT = new Set(["PORT", "TORNADE_ADMIN_PORT", "AWS_REGION", "TORNADE_SANDBOX"]);

export function isSet(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  return v !== undefined && v.trim() !== "";
}

/** True when some configuration of tornade's own is present (a file or a variable besides PORT and AWS_REGION). */
export function hasOwnEnvConfig(env: NodeJS.ProcessEnv): boolean {
  return isSet(env, CONFIG_FILE_ENV) || ENV_VARS.some((v) => !AMBIENT.has(v.name) && isSet(env, v.name));
}

/**
 * The configuration the environment sets, as a nested object, plus which variable set each key (for error messages).
 * Values are converted by kind; a value that does not convert is passed on as the string, so validation reports it
 * under the variable's name.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): { values: Record<string, unknown>; sources: Map<string, string> } {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const v of ENV_VARS) {
    if (!isSet(env, v.name)) continue;
    // AWS_REGION is the fallback: TORNADE_AWS_REGION wins.
    if (v.name === "AWS_REGION" && isSet(env, "TORNADE_AWS_REGION")) continue;
    setPath(values, v.key, convert(v.kind, (env[v.name] ?? "").trim()));
    sources.set(v.key, v.name);
  }
  return { values, sources };
}

function convert(kind: EnvKind, raw: string): unknown {
  switch (kind) {
    case "string":
      return raw;
    case "number":
      return /^-?(\d+(\.\d+)?|\.\d+)$/.test(raw) ? Number(raw) : raw;
    case "boolean": {
      const l = raw.toLowerCase();
      if (["true", "1", "yes", "on"].includes(l)) return true;
      if (["false", "0", "no", "off"].includes(l)) return false;
      return raw;
    }
    case "list":
      return raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
  }
}

export function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (typeof next !== "object" || next === null || Array.isArray(next)) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

export function getPath(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const p of dotted.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}
