/**
 * The one place the Lambda handlers are wired: configuration from the function's environment (the same keys as
 * `tornade serve`, config/env.ts), the controller built by controller/build.ts on DynamoDB + SQS, and the HTTP app.
 * Built once per execution environment (a cold start) and reused by every invocation it serves.
 */
import type { Hono } from "hono";
import { systemClock, type Clock } from "../clock/clock.js";
import { loadConfig, type Config } from "../config/index.js";
import { buildController, type Built } from "../controller/build.js";
import { verifyWebhookSignature } from "../github/webhook-verify.js";
import { createLogger, type Logger } from "../log/logger.js";
import { SqsQueue } from "../queue/sqs-queue.js";
import { createPublicApp } from "../server/app.js";
import { resolveSecrets } from "./secrets.js";

export interface LambdaServices {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly built: Built;
  /** The work queue; Lambda mode always runs on SQS. */
  readonly queue: SqsQueue;
  /** POST /events and GET /healthz, as `tornade serve` answers them. */
  readonly app: Hono;
  close(): Promise<void>;
}

export interface WireOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Static AWS credentials (tests against emulators); Lambda's own role otherwise. */
  readonly awsCredentials?: { accessKeyId: string; secretAccessKey: string };
}

export function wire(env: NodeJS.ProcessEnv, opts: WireOptions = {}): LambdaServices {
  const config = loadConfig(env);
  if (config.store.kind !== "dynamodb" || config.queue.kind !== "sqs") {
    throw new Error(
      "the Lambda handlers run on DynamoDB and SQS: set TORNADE_STORE=dynamodb, TORNADE_DYNAMODB_TABLE, TORNADE_QUEUE=sqs and TORNADE_SQS_QUEUE_URL",
    );
  }
  const secret = config.github.webhookSecret;
  if (!secret) throw new Error("github.webhookSecret is required (TORNADE_WEBHOOK_SECRET): webhooks cannot be verified without it");
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger();
  const built = buildController(config, { clock, logger, ...(opts.awsCredentials ? { awsCredentials: opts.awsCredentials } : {}) });
  if (!(built.queue instanceof SqsQueue)) throw new Error("expected the SQS queue for store dynamodb + queue sqs");
  const queue = built.queue;
  // The public app only: a function URL serves POST /events and GET /healthz, never the operator's routes.
  const app = createPublicApp({
    receiver: built.controller.receiver,
    verifySignature: async (raw, signature) => verifyWebhookSignature(secret, raw, signature),
    bodyLimitBytes: config.server.bodyLimitBytes,
    logger,
    onRefused: (outcome) => built.controller.observer.webhook(outcome),
  });
  return { config, clock, logger, built, queue, app, close: () => built.close() };
}

let cached: Promise<LambdaServices> | undefined;

/**
 * The services of this execution environment, from the function's environment variables (its configuration) and
 * the secrets they name by ARN (secrets.ts). A failed cold start is not cached: the next invocation tries again.
 */
export function services(): Promise<LambdaServices> {
  // The Lambda runtime's environment is this process's: the handler's equivalent of the CLI's io.env.
  cached ??= resolveSecrets(process.env).then((env) => wire(env));
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
