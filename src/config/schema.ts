/**
 * The shape of tornade's configuration, as a YAML/JSON file writes it (camelCase keys). Environment variables map onto
 * the same keys (env.ts). Objects are strict so a misspelt key is an error, not a silently ignored setting.
 */
import { z } from "zod";
import { FARGATE_DISK_MAX_GIB, FARGATE_DISK_MIN_GIB } from "../core/fargate-sizes.js";
import { isTimeZone } from "../core/pool.js";
import { DEFAULT_CEILINGS, DEFAULT_MAX_RUNNERS } from "../core/ceilings.js";
import { DEFAULT_JIT_KMS_KEY, DEFAULT_JIT_PARAMETER_PREFIX, parameterPrefixProblem } from "../core/runner-env.js";
import {
  ArchSchema,
  BackendSchema,
  FleetNames,
  PoolEntrySchema,
  ScaleSetEntrySchema,
  SizeSchema,
  StandbyEntrySchema,
  fleetShorthand,
  poolShorthand,
  scaleSetShorthand,
  scheduleWindows,
  standbyShorthand,
} from "./entry-schemas.js";

const perArch = z.strictObject({ X86_64: z.string().min(1).optional(), ARM64: z.string().min(1).optional() });
const fargateSize = z.strictObject({ cpu: z.number().positive(), memory: z.number().int().positive() });
const price = z.number().nonnegative();
const fargateRate = z.strictObject({ vcpuHour: price, gbHour: price });
const sizePrices = z.strictObject({
  small: price.optional(),
  medium: price.optional(),
  large: price.optional(),
  xlarge: price.optional(),
  "2xlarge": price.optional(),
});

/**
 * The largest `workflow_job` delivery GitHub publishes is 11,395 bytes (`@octokit/webhooks-examples` 7.6.1,
 * api.github.com, the `queued` example with two labels; the `completed` ones grow by ~220 bytes a step). 256 KiB is
 * 23 times that: room for a job of about a thousand steps, while 256 connections × 256 KiB stay far below the 0.5 GB
 * the documented task has (docs/security.md, "Intake"). GitHub's own cap is 25 MB ("Webhook events and payloads" →
 * "Payload cap").
 */
export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;
/** Connections the public listener holds at once; more are closed on arrival (docs/security.md, "Intake"). */
export const DEFAULT_MAX_CONNECTIONS = 256;

/**
 * How runners get their JIT configs: one-time SSM SecureString parameters under `parameterPrefix`, encrypted with
 * `kmsKeyId` (docs/security.md, "Runner credentials"; docs/deploy-aws.md says what the roles need).
 */
const JitConfigSchema = z.strictObject({
  parameterPrefix: z
    .string()
    .default(DEFAULT_JIT_PARAMETER_PREFIX)
    .superRefine((prefix, ctx) => {
      const problem = parameterPrefixProblem(prefix);
      if (problem) ctx.addIssue({ code: "custom", message: `"${prefix}" ${problem}` });
    }),
  kmsKeyId: z
    .string()
    .trim()
    .min(1)
    .default(DEFAULT_JIT_KMS_KEY)
    .refine((k) => !/(^|:)alias\/aws\/ssm$/.test(k), {
      message:
        "must not be alias/aws/ssm: that AWS managed key lets every principal of the account decrypt through SSM (AWS's ReadOnlyAccess policy can read the parameters); name a customer managed key only the runner roles may decrypt",
    }),
});

export const ImageEntrySchema = z.strictObject({
  /** ECS task definition (family, family:revision or ARN) per arch, for FARGATE and FARGATE_SPOT. */
  taskDefinitions: perArch.prefault({}),
  /** CodeBuild image override per arch. */
  codebuildImages: perArch.default({}),
});
export type ImageEntry = z.output<typeof ImageEntrySchema>;

export const ConfigSchema = z.strictObject({
  /** Run against the in-process test bed; nothing real is contacted. */
  sandbox: z.boolean().default(false),
  launchLabel: z.string().trim().min(1).default("tornade"),
  /** The least severe log line written (pino's levels): trace and debug say more, warn and error only trouble. */
  logLevel: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
  defaultBackend: BackendSchema.default("FARGATE"),
  defaultArch: ArchSchema.default("X86_64"),
  /** Used when a job names no size. cpu in vCPU, memory in MiB, disk in GiB (Fargate); size on both backends. */
  defaults: z
    .strictObject({
      cpu: z.number().positive().optional(),
      memory: z.number().int().positive().optional(),
      disk: z.number().int().min(FARGATE_DISK_MIN_GIB).max(FARGATE_DISK_MAX_GIB).optional(),
      size: SizeSchema.optional(),
    })
    .default({}),
  /** Overrides of the Fargate `size=` presets (core/fargate-sizes.ts DEFAULT_FARGATE_SIZES). */
  sizes: z
    .strictObject({
      small: fargateSize.optional(),
      medium: fargateSize.optional(),
      large: fargateSize.optional(),
      xlarge: fargateSize.optional(),
      "2xlarge": fargateSize.optional(),
    })
    .default({}),
  github: z
    .strictObject({
      appId: z.number().int().positive().optional(),
      /** PEM text, a path to a PEM file, or base64 of the PEM; normalised to PEM text when loaded. */
      privateKey: z.string().min(1).optional(),
      personalToken: z.string().min(1).optional(),
      /** GitHub Enterprise Server: https://HOST/api/v3 */
      baseUrl: z.url().default("https://api.github.com"),
      webhookSecret: z.string().min(1).optional(),
      runnerScope: z.enum(["repo", "org"]).default("repo"),
      /** Runner group for org-scoped runners; 1 is the "Default" group GitHub creates. */
      runnerGroupId: z.number().int().positive().default(1),
      allowedRepositories: z.array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/repo")).default([]),
      allowedOrganizations: z.array(z.string().regex(/^[^/\s]+$/, "must be an owner login")).default([]),
      /** Serve public repositories too. Off by default: a fork's pull request would run on a self-hosted runner
       * (docs/security.md cites GitHub's advice). */
      allowPublicRepositories: z.boolean().default(false),
    })
    .prefault({}),
  aws: z
    .strictObject({
      region: z.string().min(1).optional(),
      /** Only for the test bed or a VPC endpoint; production uses the SDK's default endpoints. */
      endpoint: z.url().optional(),
      cluster: z.string().min(1).optional(),
      subnets: z.array(z.string().min(1)).default([]),
      securityGroups: z.array(z.string().min(1)).default([]),
      /** ENABLED only for public subnets without a NAT gateway; private subnets are the safer default. */
      assignPublicIp: z.boolean().default(false),
      taskDefinitions: perArch.default({}),
      /** The runner's container in the task definition (its environment carries the JIT config). */
      containerName: z.string().min(1).default("runner"),
      codebuild: z
        .strictObject({
          projectX86_64: z.string().min(1).optional(),
          projectARM64: z.string().min(1).optional(),
          images: perArch.default({}),
          /**
           * Reserved-capacity fleets jobs may ask for with `fleet=NAME`: name → fleet ARN (StartBuild fleetOverride).
           * docs/standby.md "CodeBuild fleets".
           */
          fleets: z.preprocess(fleetShorthand, FleetNames).default({}),
        })
        .prefault({}),
      jitConfig: JitConfigSchema.prefault({}),
    })
    .prefault({}),
  /** Runner images by name, for `image=NAME`. `default` is built from aws.taskDefinitions and aws.codebuild.images. */
  images: z.record(z.string(), ImageEntrySchema).default({}),
  /** The public listener: POST /events and GET /healthz only (docs/security.md, "Listeners" and "Intake"). */
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(8080),
      /** GitHub must reach it, so every interface by default; a reverse proxy on the same host may want 127.0.0.1. */
      host: z.string().trim().min(1).default("0.0.0.0"),
      bodyLimitBytes: z.number().int().positive().default(DEFAULT_BODY_LIMIT_BYTES),
      maxConnections: z.number().int().positive().max(100_000).default(DEFAULT_MAX_CONNECTIONS),
      /** The whole request (headers and body) must arrive within this; GitHub itself gives up after 10 s. */
      requestTimeoutSeconds: z.number().positive().max(300).default(10),
      /** The headers must arrive within this (at most requestTimeoutSeconds). */
      headersTimeoutSeconds: z.number().positive().max(300).default(5),
      /** A kept-alive connection with no request in flight is closed after this. */
      idleTimeoutSeconds: z.number().positive().max(300).default(5),
    })
    .prefault({}),
  /**
   * The operator listener: dashboard, /api, /metrics, /setup. Loopback by default; bound anywhere else it needs
   * `token` (at least 32 characters) as `Authorization: Bearer` on every request (listener-checks.ts).
   */
  admin: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(9090),
      host: z.string().trim().min(1).default("127.0.0.1"),
      token: z.string().min(1).optional(),
    })
    .prefault({}),
  /**
   * Where jobs, launches and deliveries live: "sqlite" (embedded, `path`) or "dynamodb" (replicated and serverless;
   * one table, layout in store/dynamodb-table.ts). `endpoint` only for a local DynamoDB (tests).
   */
  /** The setup wizard (/setup): where it writes the GitHub App's credentials (mode 0600); default beside the store. */
  setup: z.strictObject({ credentialsPath: z.string().min(1).optional() }).prefault({}),
  store: z
    .strictObject({
      kind: z.enum(["sqlite", "dynamodb"]).default("sqlite"),
      path: z.string().min(1).default("tornade.db"),
      table: z.string().min(3).max(255).optional(),
      endpoint: z.url().optional(),
    })
    .prefault({}),
  /** The work queue: "sqlite" (in the store's file) or "sqs" (a standard queue's `url`; needs the dynamodb store). */
  queue: z
    .strictObject({
      kind: z.enum(["sqlite", "sqs"]).default("sqlite"),
      // Not z.url(): local SQS emulators answer with hosts like sqs.us-east-1.127.0.0.1, which it refuses.
      url: z.string().regex(/^https?:\/\/[^\s/]+\/\S+$/, "must be an http(s) queue URL").optional(),
      endpoint: z.url().optional(),
    })
    .prefault({}),
  /**
   * Prices for `tornade cost` and the dashboard. Everything left out takes the published us-east-1 price
   * (core/cost.ts DEFAULT_PRICES cites each); set them for another region or from your own bill.
   */
  prices: z
    .strictObject({
      /** The region the prices are for; default us-east-1. */
      region: z.string().min(1).optional(),
      /** Fraction off Fargate for FARGATE_SPOT, 0..1 (AWS: "up to 70%"); default 0.7. */
      spotDiscount: z.number().min(0).max(1).optional(),
      fargate: z
        .strictObject({ X86_64: fargateRate.optional(), ARM64: fargateRate.optional(), storageGbHour: price.optional() })
        .optional(),
      /** $ per build minute by size preset (general1.* on X86_64, arm1.* on ARM64). */
      codebuild: z.strictObject({ X86_64: sizePrices.optional(), ARM64: sizePrices.optional() }).optional(),
      /** $ per minute of GitHub's hosted 2-core runner, the comparison. */
      githubHosted: z.strictObject({ X86_64: price.optional(), ARM64: price.optional() }).optional(),
      /** Task size assumed for jobs that named none (the task definition's own); default 1 vCPU / 2048 MiB. */
      assumedTask: fargateSize.optional(),
      /** CodeBuild size assumed for jobs that named none (the project's own); default small. */
      assumedCodebuildSize: SizeSchema.optional(),
    })
    .default({}),
  /** The sweeper: redelivers failed webhooks and finds queued jobs no webhook brought, within an API budget. */
  sweeper: z
    .strictObject({
      intervalSeconds: z.number().positive().max(3600).default(60),
      /** GitHub calls a round may spend listing runs and their jobs. */
      discoveryBudget: z.number().int().min(0).max(1000).default(10),
    })
    .prefault({}),
  /**
   * Cost ceilings (core/ceilings.ts argues each default): how many runners may run at once (jobs beyond wait in order
   * and launch as runners finish), and the most one job may ask for (a job over it is rejected, naming the setting).
   */
  limits: z
    .strictObject({
      maxRunners: z.number().int().positive().default(DEFAULT_MAX_RUNNERS),
      perBackend: z.strictObject({ FARGATE: z.number().int().positive().optional(), FARGATE_SPOT: z.number().int().positive().optional(), CODEBUILD: z.number().int().positive().optional() }).default({}),
      /** vCPU of one Fargate runner. */
      maxCpu: z.number().positive().default(DEFAULT_CEILINGS.maxCpu),
      /** MiB of memory of one Fargate runner. */
      maxMemory: z.number().int().positive().default(DEFAULT_CEILINGS.maxMemory),
      /** GiB of Fargate ephemeral storage. */
      maxDisk: z.number().int().min(FARGATE_DISK_MIN_GIB).max(FARGATE_DISK_MAX_GIB).default(DEFAULT_CEILINGS.maxDisk),
      /** The largest CodeBuild compute type. */
      maxCodeBuildSize: SizeSchema.default(DEFAULT_CEILINGS.maxCodeBuildSize),
    })
    .prefault({}),
  /** Retries and fallbacks of runner launches (core/reconcile.ts ReconcilePolicy). */
  launch: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(20).default(5),
      /** FARGATE_SPOT without capacity → FARGATE at once. */
      spotFallback: z.boolean().default(true),
      /** A launch with no answer from AWS after this long was interrupted (a crash) and is replaced. */
      inFlightTimeoutSeconds: z.number().positive().max(3600).default(120),
      /** A launched runner not running this long after launch is stopped and replaced. */
      bootTimeoutSeconds: z.number().positive().max(24 * 3600).default(600),
      /** A runner idle this long after its job ran elsewhere (and no queued job could use it) is stopped. */
      idleTimeoutSeconds: z.number().positive().max(24 * 3600).default(300),
      /** A job whose Spot runner was interrupted mid-job is re-run once through GitHub's re-run API. */
      spotRerun: z.boolean().default(true),
      /**
       * A job tornade first hears of this long after GitHub created it (a late redelivery, or a replayed signed body:
       * the signature does not cover X-GitHub-Delivery) is confirmed queued with one GET before its first launch.
       */
      confirmOlderThanSeconds: z.number().min(0).max(24 * 3600).default(300),
      /** The backend of that re-run: FARGATE (default) or "same". */
      rerunBackend: z.preprocess((v) => (typeof v === "string" ? v.trim().toUpperCase() : v), z.enum(["FARGATE", "FARGATE_SPOT", "CODEBUILD", "SAME"])).default("FARGATE"),
    })
    .prefault({}),
  /**
   * Test beds only: tornade's clock at a test bed's compressed speed, anchored at the same origin (epoch ms), so a
   * `tornade serve` process and a test bed in another process agree on the time. Refused unless GitHub and AWS are
   * on this machine (checks.ts).
   */
  clock: z
    .strictObject({ speed: z.number().min(1).max(100_000).default(1), origin: z.number().int().positive().optional() })
    .prefault({}),
  workers: z.strictObject({ concurrency: z.number().int().min(1).max(256).default(4) }).prefault({}),
  /**
   * The always-on pool for `type=static` jobs (docs/static-pool.md): idle ephemeral runners per backend and arch,
   * registered in one repository (or, with github.runnerScope org, one organization). No runners: static runners are
   * managed outside tornade, as in the seed.
   */
  pool: z
    .strictObject({
      /** The repository's owner, or the organization. */
      owner: z.string().regex(/^[^/\s]+$/, "must be an owner login").optional(),
      /** The repository (runnerScope repo). */
      repo: z.string().regex(/^[^/\s]+$/, "must be a repository name without its owner").optional(),
      /** The App's installation on the owner (GitHub App only). */
      installationId: z.number().int().positive().optional(),
      timeZone: z.string().refine(isTimeZone, "not a time zone this Node.js knows").default("UTC"),
      /** Windows every pool follows unless it has its own; [] = always. */
      schedule: scheduleWindows.default([]),
      /** A pool runner not online this long after it was registered is replaced. */
      bootTimeoutSeconds: z.number().positive().max(86_400).default(600),
      /** Seconds between pool rounds. */
      intervalSeconds: z.number().positive().max(3600).default(30),
      runners: z.preprocess(poolShorthand, z.array(PoolEntrySchema)).default([]),
    })
    .prefault({}),
  /**
   * Standby runners (docs/standby.md): per shape, runner tasks kept booted and registered nowhere, each handed the JIT
   * config of the next job of its shape. No shapes: every job launches cold.
   */
  standby: z
    .strictObject({
      timeZone: z.string().refine(isTimeZone, "not a time zone this Node.js knows").default("UTC"),
      /** Windows every shape follows unless it has its own; [] = always. */
      schedule: scheduleWindows.default([]),
      /** A standby older than this is recycled (a fresh image, a fresh task). */
      maxIdleMinutes: z.number().positive().max(1440).default(30),
      /** A standby not running this long after its launch is replaced. */
      bootTimeoutSeconds: z.number().positive().max(86_400).default(600),
      /** Seconds between standby rounds. */
      intervalSeconds: z.number().positive().max(3600).default(15),
      /**
       * Parameter Store polls a second all standbys together may make (each polls every second while that fits, slower
       * beyond); the account's standard throughput is 40. Raise it with Parameter Store's higher throughput on.
       */
      ssmPollsPerSecond: z.number().positive().max(10_000).default(20),
      /** Bounds of every shape with `count: adaptive` (docs/standby.md "Adaptive sizing"); a shape's own override them. */
      adaptive: z
        .strictObject({
          /** At most this many standbys per adaptive shape. */
          max: z.number().int().min(0).max(100).default(10),
          /** At most this many dollars an hour for an adaptive shape's standbys (prices: the `prices` section); none: no cap. */
          maxCostPerHour: z.number().positive().optional(),
          /** The arrivals a shape's rate is read from: those of the last this many minutes. */
          windowMinutes: z.number().positive().max(1440).default(15),
        })
        .prefault({}),
      shapes: z.preprocess(standbyShorthand, z.array(StandbyEntrySchema)).default([]),
    })
    .prefault({}),
  /**
   * Where jobs come from: GitHub's webhooks (a public POST /events), runner scale sets (outbound message sessions,
   * no inbound at all), or both. Default: both when scale sets are configured, webhooks otherwise.
   */
  intake: z.enum(["webhooks", "scale-sets", "both"]).optional(),
  /**
   * Runner scale sets (docs/scale-sets.md): created or updated at start, one message session each, held by one replica.
   * Their scope: an organization (github.runnerScope org, in github.runnerGroupId's group named by runnerGroup) or
   * one repository.
   */
  scaleSets: z
    .strictObject({
      /** The organization, or the repository's owner. */
      owner: z.string().regex(/^[^/\s]+$/, "must be an owner login").optional(),
      /** The repository (runnerScope repo). */
      repo: z.string().regex(/^[^/\s]+$/, "must be a repository name without its owner").optional(),
      /** The App's installation on the owner (GitHub App only). */
      installationId: z.number().int().positive().optional(),
      /** Runner group by name (organization scale sets); "default" is GitHub's Default group. */
      runnerGroup: z.string().trim().min(1).default("default"),
      /** The scope's web URL when it cannot be derived from github.baseUrl (a proxy, a test bed). */
      configUrl: z.url().optional(),
      /** Seconds between statistics rounds (a GET of each scale set: what a lost message would have said). */
      intervalSeconds: z.number().positive().max(3600).default(30),
      /** Seconds a replica holds a scale set's session lease before renewing it; another takes over after it lapses. */
      leaseSeconds: z.number().min(10).max(3600).default(60),
      sets: z.preprocess(scaleSetShorthand, z.array(ScaleSetEntrySchema)).default([]),
    })
    .prefault({}),
});

export type Config = z.output<typeof ConfigSchema>;
