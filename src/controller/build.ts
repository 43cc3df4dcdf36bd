/**
 * The composition root: from a validated Config to a running Controller on its state (SQLite, or DynamoDB + SQS:
 * build-state.ts), Octokit and the AWS SDK. Everything else in the controller sees ports only.
 */
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { ECSClient } from "@aws-sdk/client-ecs";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import { intakesOf, policyOf } from "../config/index.js";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { ScaleSetClient } from "../github/scaleset/index.js";
import { scaleSetSetupOf } from "./scale-set-setup.js";
import { defaultReconcilePolicy, type ReconcilePolicy } from "../core/reconcile.js";
import type { Backend } from "../core/types.js";
import { createGitHubClients, type GitHubAuth } from "../github/auth.js";
import { OctokitGitHub } from "../github/octokit-github.js";
import type { Logger } from "../log/logger.js";
import { CodeBuildProvider } from "../providers/codebuild.js";
import { EcsProvider } from "../providers/ecs.js";
import { SsmJitHandoff, jitNameKey } from "../providers/jit-handoff.js";
import type { Provider } from "../providers/provider.js";
import type { Queue } from "../queue/queue.js";
import type { Store } from "../store/store.js";
import { openState } from "./build-state.js";
import { Controller } from "./controller.js";
import type { ControllerObserver } from "./observer.js";
import { defaultReaperPolicy } from "./reaper.js";
import { defaultSweeperPolicy } from "./sweeper.js";
import { awsClientConfig } from "../providers/aws-client-config.js";
import { poolSetupOf } from "./pool.js";
import { standbySetupOf } from "./standby.js";

export interface BuildOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Static AWS credentials (the test bed); production uses the SDK's default provider chain. */
  readonly awsCredentials?: { accessKeyId: string; secretAccessKey: string };
  readonly reconcilePolicy?: ReconcilePolicy;
  /** Clock ms between tracker rounds; default 30 s (webhooks bring job progress; the tracker catches runner deaths). */
  readonly trackIntervalMs?: number;
  /** Where the controller reports what it does (metrics). */
  readonly observer?: ControllerObserver;
  /** This replica's name for the scale sets' leases and sessions; default host name, process id and a random part. */
  readonly holder?: string;
}

export interface Built {
  readonly controller: Controller;
  readonly store: Store;
  readonly queue: Queue;
  readonly github: OctokitGitHub;
  /** The runners' backends, as the controller uses them (the Lambda events function asks them to read its events). */
  readonly providers: ReadonlyMap<Backend, Provider>;
  close(): Promise<void>;
}

export async function buildController(config: Config, opts: BuildOptions): Promise<Built> {
  const { clock, logger } = opts;
  const state = await openState(config, { clock, ...(opts.awsCredentials ? { awsCredentials: opts.awsCredentials } : {}) });
  const { store, queue } = state;
  const clients = createGitHubClients({
    auth: githubAuth(config),
    baseUrl: config.github.baseUrl,
    clock,
    logger: logger.child({ component: "github" }),
    // The controller paces its own launches; the secondary limit's retry-after still governs bursts.
    writeSpacingMs: 0,
  });
  const github = new OctokitGitHub(clients, { clock });
  const { providers, handoff } = buildProviders(config, opts);
  const deliveryPolicy = policyOf(config);
  const pool = poolSetupOf(config);
  const reconcilePolicy = opts.reconcilePolicy ?? reconcilePolicyOf(config);
  const standby = standbySetupOf(config, deliveryPolicy, reconcilePolicy.requestLeaseMs);
  const scaleSetSetup = scaleSetSetupOf(config, deliveryPolicy);
  const scaleSets = scaleSetSetup && {
    setup: scaleSetSetup,
    // On the same GitHub clients (installation tokens, rate limits) as every other call.
    client: new ScaleSetClient({ github: clients, baseUrl: config.github.baseUrl, scope: scaleSetSetup.scope, configUrl: scaleSetSetup.configUrl, clock, logger: logger.child({ component: "scale-set-client" }) }),
    holder: opts.holder ?? replicaName(),
  };
  const controller = new Controller({
    store,
    queue,
    intake: state.intake,
    github,
    providers,
    deliveryPolicy,
    ...(pool ? { pool } : {}),
    handoff,
    ...(standby ? { standby } : {}),
    ...(scaleSets ? { scaleSets } : {}),
    webhooks: intakesOf(config).webhooks,
    reconcilePolicy,
    placement: { scope: config.github.runnerScope, runnerGroupId: config.github.runnerGroupId },
    clock,
    logger,
    concurrency: config.workers.concurrency,
    trackIntervalMs: opts.trackIntervalMs ?? 30_000,
    ...(opts.observer ? { observer: opts.observer } : {}),
    limits: { maxRunners: config.limits.maxRunners, perBackend: config.limits.perBackend },
    sweepIntervalMs: config.sweeper.intervalSeconds * 1000,
    sweeperPolicy: { ...defaultSweeperPolicy, discoveryBudget: config.sweeper.discoveryBudget },
    reaperPolicy: { ...defaultReaperPolicy, idleTimeoutMs: config.launch.idleTimeoutSeconds * 1000 },
  });
  return {
    controller,
    store,
    queue,
    github,
    providers,
    async close() {
      await controller.stop();
      await state.close();
    },
  };
}

/** The launch section of the configuration as core/reconcile's policy. */
export function reconcilePolicyOf(config: Config): ReconcilePolicy {
  return {
    ...defaultReconcilePolicy,
    maxAttempts: config.launch.maxAttempts,
    spotFallback: config.launch.spotFallback,
    requestLeaseMs: config.launch.inFlightTimeoutSeconds * 1000,
    bootTimeoutMs: config.launch.bootTimeoutSeconds * 1000,
    spotRerun: config.launch.spotRerun,
    rerunBackend: config.launch.rerunBackend === "SAME" ? "same" : config.launch.rerunBackend,
    confirmOlderThanMs: config.launch.confirmOlderThanSeconds * 1000,
  };
}

/** A name no other replica (or earlier life of this one) has: host, process, and a random part. */
function replicaName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

function githubAuth(config: Config): GitHubAuth {
  const g = config.github;
  if (g.appId !== undefined && g.privateKey !== undefined) return { kind: "app", appId: g.appId, privateKeyPem: g.privateKey };
  if (g.personalToken !== undefined) return { kind: "token", token: g.personalToken };
  // loadConfig's checks refuse a non-sandbox configuration without credentials; reaching here is a wiring bug.
  throw new Error("no GitHub credentials: set APP_ID and SECRET_KEY_PEM, or PERSONAL_TOKEN");
}

/** The configured backends' providers (the Lambda events function reads its events with them, and launches nothing). */
export function buildProviders(
  config: Config,
  opts: Pick<BuildOptions, "clock" | "logger" | "awsCredentials">,
): { providers: Map<Backend, Provider>; handoff: SsmJitHandoff } {
  const a = config.aws;
  const client = awsClientConfig({ region: a.region ?? "us-east-1", endpoint: a.endpoint, credentials: opts.awsCredentials });
  const providers = new Map<Backend, Provider>();
  const images = config.images;
  // One channel for every launch on every backend: the JIT config goes to a one-time SSM parameter, never into
  // RunTask or StartBuild (core/runner-env.ts). Names keyed by the GitHub credential, so that any replica, and this
  // one after a crash, can name a parameter to delete it; a process holding none (the events Lambda) names nothing.
  const credential = config.github.privateKey ?? config.github.personalToken;
  const handoff = new SsmJitHandoff({
    ...(credential ? { nameKey: jitNameKey(credential) } : {}),
    client: new SSMClient(client),
    prefix: a.jitConfig.parameterPrefix,
    kmsKeyId: a.jitConfig.kmsKeyId,
    bootTimeoutMs: config.launch.bootTimeoutSeconds * 1000,
    now: () => opts.clock.now(),
    warn: (message, names) => opts.logger.warn({ parameters: names }, message),
  });
  if (a.cluster && (a.taskDefinitions.X86_64 || a.taskDefinitions.ARM64)) {
    const ecs = new EcsProvider({
      client: new ECSClient(client),
      cluster: a.cluster,
      taskDefinitions: a.taskDefinitions,
      imageTaskDefinitions: Object.fromEntries(Object.entries(images).map(([name, e]) => [name, e.taskDefinitions])),
      containerName: a.containerName,
      subnets: a.subnets,
      securityGroups: a.securityGroups,
      assignPublicIp: a.assignPublicIp,
      handoff,
    });
    providers.set("FARGATE", ecs);
    providers.set("FARGATE_SPOT", ecs);
  }
  if (a.codebuild.projectX86_64 || a.codebuild.projectARM64) {
    providers.set(
      "CODEBUILD",
      new CodeBuildProvider({
        client: new CodeBuildClient(client),
        projects: { X86_64: a.codebuild.projectX86_64, ARM64: a.codebuild.projectARM64 },
        images: Object.fromEntries(Object.entries(images).map(([name, e]) => [name, e.codebuildImages])),
        handoff,
        fleets: a.codebuild.fleets,
      }),
    );
  }
  return { providers, handoff };
}
