/**
 * The one place the Lambda handlers are wired: configuration from the function's environment (the same keys as
 * `tornade serve`, config/env.ts) and the HTTP app. Built once per execution environment (a cold start) and reused
 * by every invocation it serves.
 *
 * Three wirings, each function holding only what its code uses (infra/ grants each only the secrets it reads):
 * - wireIntake (webhook): the store, the queue and the intake (takeIn) only — no GitHub client, no provider, and the only
 *   secret it needs or reads is the webhook secret. Its role may not read the App's private key (infra/).
 * - wireEvents (events): the intake and the providers, which read an EventBridge event into a launch state. It calls
 *   neither GitHub nor a provider's API, so it reads no secret at all.
 * - wire (worker, sweep): the whole controller on DynamoDB + SQS (controller/build.ts), with the App's key.
 */
import type { Hono } from "hono";
import { systemClock, type Clock } from "../clock/clock.js";
import { loadConfig, policyOf, type Config } from "../config/index.js";
import type { Backend } from "../core/types.js";
import { buildController, buildProviders, type Built } from "../controller/build.js";
import { openState } from "../controller/build-state.js";
import { noopObserver } from "../controller/observer.js";
import type { TakeIn } from "../controller/observations.js";
import { createTakeIn } from "../controller/take-in.js";
import { createLogger, type Logger } from "../log/logger.js";
import type { Provider } from "../providers/provider.js";
import { SqsQueue } from "../queue/sqs-queue.js";
import { publicAppFor, webhookSecretOf } from "../server/app.js";
import { resolveSecrets, type SecretName } from "./secrets.js";

/** What the webhook function runs on. */
export interface IntakeServices {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  /** POST /events and GET /healthz, as `tornade serve` answers them. */
  readonly app: Hono;
  close(): Promise<void>;
}

/** What the events function runs on. */
export interface EventsServices {
  readonly logger: Logger;
  /** The runners' backends: each reads the events of its own kind (Provider.takeEvent). */
  readonly providers: ReadonlyMap<Backend, Provider>;
  readonly takeIn: TakeIn;
  close(): Promise<void>;
}

/** What the worker and sweep functions run on: they take no webhook in, so they have no HTTP app. */
export interface LambdaServices extends Omit<IntakeServices, "app"> {
  readonly built: Built;
  /** The work queue; Lambda mode always runs on SQS. */
  readonly queue: SqsQueue;
}

export interface WireOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Static AWS credentials (tests against emulators); Lambda's own role otherwise. */
  readonly awsCredentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The whole controller, for the worker and sweep functions. */
export async function wire(env: NodeJS.ProcessEnv, opts: WireOptions = {}): Promise<LambdaServices> {
  // The worker and sweep verify no delivery (the webhook function does): they are given no webhook secret, and
  // loadConfig asks for none.
  const config = serverlessConfig(loadConfig(env, undefined, { verifiesDeliveries: false }));
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const built = await buildController(config, { clock, logger, ...(opts.awsCredentials ? { awsCredentials: opts.awsCredentials } : {}) });
  if (!(built.queue instanceof SqsQueue)) throw new Error("expected the SQS queue for store dynamodb + queue sqs");
  return { config, clock, logger, built, queue: built.queue, close: () => built.close() };
}

/**
 * Intake only, for the webhook function: verify, record, enqueue. The configuration is loaded without requiring
 * GitHub credentials (as `tornade explain` loads it): intake calls neither GitHub nor AWS's runner APIs.
 */
export async function wireIntake(env: NodeJS.ProcessEnv, opts: WireOptions = {}): Promise<IntakeServices> {
  const config = serverlessConfig(loadConfig(env, undefined, { partial: true }));
  webhookSecretOf(config);
  const { clock, logger, takeIn, state } = await takeInOn(config, opts);
  return { config, clock, logger, app: publicAppFor(config, { takeIn, logger }), close: () => state.close() };
}

/**
 * Intake and providers, for the events function: an event becomes a runner observation, stored with its look. The
 * configuration is loaded without requiring GitHub credentials or the webhook secret, neither of which it uses.
 */
export async function wireEvents(env: NodeJS.ProcessEnv, opts: WireOptions = {}): Promise<EventsServices> {
  const config = serverlessConfig(loadConfig(env, undefined, { partial: true }));
  const { clock, logger, takeIn, state } = await takeInOn(config, opts);
  const { providers } = buildProviders(config, { clock, logger, ...(opts.awsCredentials ? { awsCredentials: opts.awsCredentials } : {}) });
  return { logger, providers, takeIn, close: () => state.close() };
}

/** The state and the intake on it, with the clock and logger: what the two intake-only functions run on. */
async function takeInOn(config: Config, opts: WireOptions) {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const state = await openState(config, { clock, ...(opts.awsCredentials ? { awsCredentials: opts.awsCredentials } : {}) });
  const takeIn = createTakeIn({ intake: state.intake, store: state.store, policy: policyOf(config), clock, logger, observer: noopObserver });
  return { clock, logger, state, takeIn };
}

function serverlessConfig(config: Config): Config {
  if (config.store.kind !== "dynamodb" || config.queue.kind !== "sqs") {
    throw new Error(
      "the Lambda handlers run on DynamoDB and SQS: set TORNADE_STORE=dynamodb, TORNADE_DYNAMODB_TABLE, TORNADE_QUEUE=sqs and TORNADE_SQS_QUEUE_URL",
    );
  }
  return config;
}

/**
 * Services built once per execution environment from the function's environment variables (its configuration) and
 * the secrets they name by ARN (secrets.ts), reading only the secrets `names` lists. A failed cold start is not
 * cached: the next invocation tries again.
 */
function once<S>(names: readonly SecretName[], make: (env: NodeJS.ProcessEnv) => Promise<S>): () => Promise<S> {
  let cached: Promise<S> | undefined;
  return () => {
    // The Lambda runtime's environment is this process's: the handler's equivalent of the CLI's io.env.
    cached ??= resolveSecrets(process.env, fetch, names).then(make);
    cached.catch(() => {
      cached = undefined;
    });
    return cached;
  };
}

/** The worker and sweep functions: the App's private key, nothing else. */
export const services = once(["privateKey"], (env) => wire(env));
/** The events function: no secret. */
export const eventsServices = once([], (env) => wireEvents(env));
/** The webhook function: the webhook secret, nothing else. */
export const intakeServices = once(["webhookSecret"], (env) => wireIntake(env));
