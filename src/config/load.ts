/**
 * Loading configuration: file (YAML or JSON, by extension) + environment (which wins), validated once. This module
 * and env.ts are the only places in tornade that read process.env or configuration files.
 */
import { dirname, extname, resolve } from "node:path";
import type { z } from "zod";
import { DataFileError, readDataFile } from "./data-file.js";
import type { Config, ImageEntry } from "./schema.js";
import { CONFIG_FILE_ENV, configFromEnv, isSet } from "./env.js";
import { PrivateKeyFormatError, normalisePrivateKey } from "./private-key.js";
import { checkCeilings, checkClock, checkSizes, checkRunnable } from "./checks.js";
import { parseLeniently } from "./lenient-parse.js";
import { attachRedaction } from "./redact.js";
import { checkStateBackends } from "./state-checks.js";
import { checkPool } from "./pool-checks.js";
import { checkListeners } from "./listener-checks.js";
import { checkScope } from "./scope-checks.js";
import { checkScaleSets } from "./scale-set-checks.js";

/** Bad configuration. The message lists every problem, each naming its key (file key or variable) and the fix. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

export interface LoadOptions {
  /** `--sandbox`: run against the in-process test bed whatever else is configured. */
  readonly sandbox?: boolean;
  /** Resolves relative paths given in the environment. Default process.cwd(). */
  readonly cwd?: string;
  /**
   * Validate what is there but do not require what only a running server needs (credentials, webhook secret, AWS
   * network). For commands that read only the label policy, like `tornade explain`.
   */
  readonly partial?: boolean;
  /**
   * false: this process verifies no webhook delivery even with the webhook intake on — the serverless worker and sweep,
   * beside the webhook function that does (lambda/wiring.ts) — so the webhook secret is not required. Default true.
   */
  readonly verifiesDeliveries?: boolean;
}

/** Stand-ins for the AWS names the sandbox needs; the sandbox replaces them with the test bed's own. */
export const SANDBOX_AWS = {
  region: "us-east-1",
  cluster: "tornade-sandbox",
  subnets: ["subnet-sandbox"],
  taskDefinitions: { X86_64: "tornade-runner-x86_64", ARM64: "tornade-runner-arm64" },
  codebuildProject: "tornade-runner",
} as const;

/** Where a key's value came from, for messages: "TORNADE_SUBNETS (aws.subnets)" or "aws.subnets in tornade.yaml". */
type Sources = Map<string, string>;

export function loadConfig(env: NodeJS.ProcessEnv, file?: string, options: LoadOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const path = file ?? (isSet(env, CONFIG_FILE_ENV) ? env[CONFIG_FILE_ENV] : undefined);
  const fromFile = path === undefined ? {} : readConfigFile(resolve(cwd, path), path === file ? "--config" : CONFIG_FILE_ENV);
  const fromEnv = configFromEnv(env);
  const merged = deepMerge(fromFile, fromEnv.values);
  const fileName = path ?? "";
  const where = (key: string): string => {
    const envName = [...fromEnv.sources].find(([k]) => key === k || key.startsWith(`${k}.`))?.[1];
    if (envName) return `${envName} (${key})`;
    return path === undefined ? key : `${key} in ${fileName}`;
  };

  // Only when asked: a production container that lost its configuration must refuse to start, not boot a simulator.
  const sandbox = options.sandbox === true || merged["sandbox"] === true;
  if (sandbox) merged["sandbox"] = true;

  // Every problem at once: the schema's, and those the later checks find in what the schema accepted.
  const parsed = parseLeniently(merged);
  const schemaProblems = parsed.issues.map((i) => describeIssue(i, where));
  const config = parsed.config;
  if (config === undefined) throw new ConfigError(schemaProblems);

  const problems: string[] = [];
  const key = config.github.privateKey;
  if (key !== undefined) {
    const fromEnvVar = fromEnv.sources.has("github.privateKey");
    const baseDir = fromEnvVar || path === undefined ? cwd : dirname(resolve(cwd, path));
    try {
      config.github.privateKey = normalisePrivateKey(key, baseDir).pem;
    } catch (err) {
      if (!(err instanceof PrivateKeyFormatError)) throw err;
      problems.push(`${where("github.privateKey")}: ${err.message}. Fix: give the App's .pem file path, its PEM text, or base64 of it (base64 -w0 key.pem)`);
    }
  }
  problems.push(...checkSizes(config, where));
  problems.push(...checkCeilings(config, where));
  problems.push(...checkStateBackends(config, where));
  problems.push(...checkClock(config, where));
  problems.push(...checkListeners(config, where));
  config.images = resolveImages(config, where, problems);
  if (sandbox) fillSandbox(config, fromEnv.sources, path !== undefined ? fromFile : {});
  else if (!options.partial) problems.push(...checkRunnable(config, where, options.verifiesDeliveries !== false));
  if (!options.partial) problems.push(...checkPool(config, where));
  if (!options.partial) problems.push(...checkScope(config, where));
  if (!options.partial) problems.push(...checkScaleSets(config, where));
  // A refused value was set aside (its default stands in): what the checks say about that key only repeats the
  // schema's word ("APP_ID: expected number" need not be followed by "APP_ID: missing").
  const repeats = (p: string): boolean => parsed.setAside.some((key) => p.startsWith(`${where(key)}:`));
  const all = [...schemaProblems, ...problems.filter((p) => !repeats(p))];
  if (all.length) throw new ConfigError(all);
  return attachRedaction(config);
}

/** The configuration tornade runs with when given nothing (or `--sandbox`): everything against the test bed. */
export function sandboxConfig(): Config {
  return loadConfig({}, undefined, { sandbox: true });
}

function readConfigFile(path: string, via: string): Record<string, unknown> {
  const ext = extname(path).toLowerCase();
  if (![".json", ".yaml", ".yml"].includes(ext)) {
    throw new ConfigError([`${via} ${path}: unknown file type "${ext}". Fix: use a .yaml, .yml or .json file`]);
  }
  let data: unknown;
  try {
    data = readDataFile(path, ext === ".json" ? "json" : "yaml");
  } catch (err) {
    if (!(err instanceof DataFileError)) throw err;
    // "--config tornade.yaml:3:3: not valid YAML: Map keys must be unique. Fix: …"
    throw new ConfigError([`${via} ${err.message}. Fix: ${err.at ? "correct the syntax there" : "check the path"}`]);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError([`${via} ${path}: the top level must be a mapping of keys (launchLabel, github, aws, …). Fix: see the configuration reference`]);
  }
  return data as Record<string, unknown>;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const bothObjects = isPlainObject(b) && isPlainObject(v);
    out[k] = bothObjects ? deepMerge(b, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** How to fix each key, keyed by its dotted path without array indexes. */
const FIX: Readonly<Record<string, string>> = {
  sandbox: "true or false",
  launchLabel: "a non-empty label, e.g. tornade",
  logLevel: "trace, debug, info, warn or error",
  defaultBackend: "FARGATE, FARGATE_SPOT or CODEBUILD",
  defaultArch: "X86_64 or ARM64",
  "defaults.cpu": "a Fargate vCPU value: 0.25, 0.5, 1, 2, 4, 8 or 16",
  "defaults.memory": "whole MiB that Fargate accepts with the cpu",
  "defaults.disk": "whole GiB from 21 to 200 (Fargate ephemeral storage)",
  "defaults.size": "small, medium, large, xlarge or 2xlarge",
  "github.appId": "the numeric App ID from the GitHub App's settings page",
  "github.personalToken": "a non-empty token",
  "github.baseUrl": "a URL: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server",
  "github.webhookSecret": "the secret set on the GitHub App's webhook",
  "github.runnerScope": "repo or org",
  "github.runnerGroupId": "a positive runner group id (1 is the Default group)",
  "github.allowedRepositories": "owner/repo names (comma-separated in the environment)",
  "github.allowedOrganizations": "owner logins (comma-separated in the environment)",
  "github.allowPublicRepositories": "true or false (false refuses public repositories; see docs/security.md)",
  "aws.endpoint": "a URL, or leave it out to use AWS's own endpoints",
  "aws.subnets": "subnet ids (comma-separated in the environment)",
  "aws.securityGroups": "security group ids (comma-separated in the environment)",
  "aws.assignPublicIp": "true or false",
  "server.port": "a whole number from 0 to 65535",
  "server.bodyLimitBytes": "a positive whole number of bytes",
  "server.host": "an address to listen on, e.g. 0.0.0.0 (every interface) or 127.0.0.1",
  "server.maxConnections": "a whole number from 1 to 100000",
  "server.requestTimeoutSeconds": "seconds, more than 0 and at most 300",
  "server.headersTimeoutSeconds": "seconds, more than 0 and at most 300",
  "server.idleTimeoutSeconds": "seconds, more than 0 and at most 300",
  "admin.port": "a whole number from 0 to 65535, not the public port",
  "admin.host": "an address to listen on; 127.0.0.1 (default) needs no token",
  "admin.token": "a random string of at least 32 characters",
  "launch.confirmOlderThanSeconds": "seconds from 0 (confirm every new job) to 86400",
  "store.path": "a file path for the SQLite database",
  "setup.credentialsPath": "a file path the server may create",
  "store.kind": "sqlite or dynamodb",
  "store.table": "the DynamoDB table's name (3 to 255 characters)",
  "store.endpoint": "a URL, or leave it out to use AWS's own endpoint",
  "queue.kind": "sqlite or sqs",
  "queue.url": "the SQS queue URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME",
  "queue.endpoint": "a URL, or leave it out to use AWS's own endpoint",
  "workers.concurrency": "a whole number from 1 to 256",
  "launch.maxAttempts": "a whole number from 1 to 20",
  "sweeper.intervalSeconds": "seconds, more than 0 and at most 3600",
  "sweeper.discoveryBudget": "a whole number from 0 to 1000",
  "limits.maxRunners": "a positive whole number (default 50)",
  "limits.maxCpu": "vCPU, more than 0 (default 8; Fargate's largest is 16)",
  "limits.maxMemory": "whole MiB, more than 0 (default 32768; Fargate's largest is 122880)",
  "limits.maxDisk": "whole GiB from 21 to 200 (default 100)",
  "limits.maxCodeBuildSize": "small, medium, large, xlarge or 2xlarge (default large)",
  "limits.perBackend.FARGATE": "a positive whole number",
  "limits.perBackend.FARGATE_SPOT": "a positive whole number",
  "limits.perBackend.CODEBUILD": "a positive whole number",
  "launch.spotFallback": "true or false",
  "launch.inFlightTimeoutSeconds": "seconds, more than 0 and at most 3600",
  "launch.bootTimeoutSeconds": "seconds, more than 0 and at most 86400",
  "launch.spotRerun": "true or false",
  "launch.idleTimeoutSeconds": "seconds, more than 0 and at most 86400",
  "launch.rerunBackend": "FARGATE, FARGATE_SPOT, CODEBUILD or same",
  "clock.speed": "1 (real time) up to 100000; only against a test bed",
  "clock.origin": "the test bed's clock origin in epoch milliseconds",
  "pool.owner": "the owner login (or organization) the pool's runners register in",
  "pool.repo": "the repository name, without its owner",
  "pool.installationId": "the App's numeric installation id on the pool's owner",
  "pool.timeZone": "an IANA time zone, e.g. UTC, Europe/Berlin, Asia/Tokyo",
  "pool.schedule": 'windows "DAYS HH:MM-HH:MM", e.g. Mon-Fri 08:00-20:00 (separated by ; in the environment)',
  "pool.bootTimeoutSeconds": "seconds, more than 0 and at most 86400",
  "pool.intervalSeconds": "seconds, more than 0 and at most 3600",
  "pool.runners": "entries of backend, arch, size (0–100) and an optional schedule; in the environment BACKEND/ARCH=SIZE, comma-separated, e.g. FARGATE/X86_64=2,CODEBUILD/ARM64=1",
  "pool.runners.backend": "FARGATE, FARGATE_SPOT or CODEBUILD",
  "pool.runners.arch": "X86_64 or ARM64",
  "pool.runners.size": "a whole number of runners from 0 to 100",
  "pool.runners.schedule": 'windows "DAYS HH:MM-HH:MM", e.g. Mon-Fri 08:00-20:00',
  intake: "webhooks, scale-sets or both",
  "scaleSets.owner": "the organization (or repository owner) login",
  "scaleSets.repo": "the repository name, without its owner",
  "scaleSets.installationId": "the App's numeric installation id on the scale sets' owner",
  "scaleSets.runnerGroup": "a runner group name; default is GitHub's Default group",
  "scaleSets.configUrl": "the scope's web URL, e.g. https://github.com/acme or https://github.com/acme/app",
  "scaleSets.intervalSeconds": "seconds, more than 0 and at most 3600",
  "scaleSets.leaseSeconds": "seconds, from 10 to 3600",
  "scaleSets.sets": "entries of name, labels, backend, arch, size, image, minRunners and maxRunners; in the environment NAME=BACKEND[/ARCH[/SIZE[/IMAGE]]][:MIN-MAX], comma-separated, e.g. linux-x64=FARGATE_SPOT/X86_64:0-20",
  "scaleSets.sets.name": "1–100 letters, digits, '.', '_' or '-'",
  "scaleSets.sets.backend": "FARGATE, FARGATE_SPOT or CODEBUILD",
  "scaleSets.sets.arch": "X86_64 or ARM64",
  "scaleSets.sets.size": "small, medium, large, xlarge or 2xlarge",
  "scaleSets.sets.minRunners": "a whole number from 0 to 1000",
  "scaleSets.sets.maxRunners": "a whole number from 1 to 10000",
  "standby.timeZone": "an IANA time zone, e.g. UTC, Europe/Berlin, Asia/Tokyo",
  "standby.schedule": 'windows "DAYS HH:MM-HH:MM", e.g. Mon-Fri 07:00-19:00 (separated by ; in the environment)',
  "standby.maxIdleMinutes": "minutes, more than 0 and at most 1440",
  "standby.bootTimeoutSeconds": "seconds, more than 0 and at most 86400",
  "standby.intervalSeconds": "seconds, more than 0 and at most 3600",
  "standby.shapes": "entries of backend, arch, size, image, count (0–100) and an optional schedule; in the environment BACKEND[/ARCH[/SIZE[/IMAGE]]]=COUNT (or =adaptive), comma-separated, e.g. FARGATE_SPOT/X86_64=3",
  "standby.shapes.backend": "FARGATE, FARGATE_SPOT or CODEBUILD",
  "standby.shapes.arch": "X86_64 or ARM64",
  "standby.shapes.size": "small, medium, large, xlarge or 2xlarge",
  "standby.shapes.count": 'a whole number of standbys from 0 to 100, or "adaptive"',
  "standby.shapes.adaptive": "{ max, maxCostPerHour } for an adaptive shape",
  "standby.ssmPollsPerSecond": "polls a second, more than 0 and at most 10000",
  "standby.adaptive.max": "a whole number of standbys from 0 to 100",
  "standby.adaptive.maxCostPerHour": "dollars an hour, more than 0",
  "standby.adaptive.windowMinutes": "minutes, more than 0 and at most 1440",
  "standby.shapes.schedule": 'windows "DAYS HH:MM-HH:MM", e.g. Mon-Fri 07:00-19:00',
};

function describeIssue(issue: z.core.$ZodIssue, where: (key: string) => string): string {
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    return issue.keys
      .map((k) => `${where([...path, k].join("."))}: unknown key. Fix: remove it or correct its spelling (see the configuration reference)`)
      .join("\n  - ");
  }
  const key = path.join(".");
  const bare = path.filter((p) => !/^\d+$/.test(p)).join(".");
  const generic = bare.replace(/^images\.[^.]+\./, "images.NAME.");
  const fix = FIX[bare] ?? FIX[generic] ?? "see the configuration reference";
  return `${where(key || "(top level)")}: ${issue.message}. Fix: ${fix}`;
}

function resolveImages(config: Config, where: (key: string) => string, problems: string[]): Record<string, ImageEntry> {
  const out: Record<string, ImageEntry> = {};
  for (const [name, entry] of Object.entries(config.images)) {
    const lower = name.trim().toLowerCase();
    if (lower === "default") {
      problems.push(`${where(`images.${name}`)}: "default" is built from aws.taskDefinitions and aws.codebuild.images. Fix: set those instead`);
      continue;
    }
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(lower)) {
      problems.push(`${where(`images.${name}`)}: image names are letters, digits, ".", "_" and "-". Fix: rename it`);
      continue;
    }
    if (out[lower]) {
      problems.push(`${where(`images.${name}`)}: names are case-insensitive and another image is already called "${lower}". Fix: rename one`);
      continue;
    }
    out[lower] = entry;
  }
  return { default: { taskDefinitions: { ...config.aws.taskDefinitions }, codebuildImages: { ...config.aws.codebuild.images } }, ...out };
}

/** Fills what the sandbox needs and nobody configured, so the sandbox can launch on every backend and arch. */
function fillSandbox(config: Config, envSources: Sources, file: Record<string, unknown>): void {
  const aws = config.aws;
  aws.region ??= SANDBOX_AWS.region;
  aws.cluster ??= SANDBOX_AWS.cluster;
  if (aws.subnets.length === 0) aws.subnets = [...SANDBOX_AWS.subnets];
  aws.taskDefinitions.X86_64 ??= SANDBOX_AWS.taskDefinitions.X86_64;
  aws.taskDefinitions.ARM64 ??= SANDBOX_AWS.taskDefinitions.ARM64;
  aws.codebuild.projectX86_64 ??= SANDBOX_AWS.codebuildProject;
  aws.codebuild.projectARM64 ??= SANDBOX_AWS.codebuildProject;
  const def = config.images["default"];
  if (def) def.taskDefinitions = { ...aws.taskDefinitions };
  // A sandbox keeps nothing on disk unless asked to.
  const storeSet = envSources.has("store.path") || (isPlainObject(file["store"]) && "path" in file["store"]);
  if (!storeSet) config.store.path = ":memory:";
}
