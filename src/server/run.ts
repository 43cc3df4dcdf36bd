/**
 * One running tornade: the controller (intake, workers, tracker) behind the HTTP app. `tornade serve` and the
 * sandbox both start exactly this, so what the sandbox shows is what production runs.
 */
import type { Config } from "../config/index.js";
import { buildController, type BuildOptions, type Built } from "../controller/build.js";
import { verifyWebhookSignature } from "../github/webhook-verify.js";
import { createApp } from "./app.js";
import { listen, type Listening } from "./node.js";
import { mountDashboard } from "./dashboard-routes.js";
import { createMetrics } from "./metrics-routes.js";

export interface RunningTornade {
  readonly url: string;
  readonly port: number;
  readonly built: Built;
  /** Stops taking requests, finishes work in hand, closes the store. */
  close(): Promise<void>;
}

export async function runTornade(config: Config, opts: BuildOptions & { host?: string }): Promise<RunningTornade> {
  const secret = config.github.webhookSecret;
  if (!secret) throw new Error("github.webhookSecret is required (TORNADE_WEBHOOK_SECRET): webhooks cannot be verified without it");
  const metrics = createMetrics();
  const built = buildController(config, { ...opts, observer: opts.observer ?? metrics.observer });
  const ctx = { config, built, clock: opts.clock, logger: opts.logger };
  const app = createApp({
    receiver: built.controller.receiver,
    verifySignature: async (raw, signature) => verifyWebhookSignature(secret, raw, signature),
    bodyLimitBytes: config.server.bodyLimitBytes,
    logger: opts.logger,
    onRefused: (outcome) => built.controller.observer.webhook(outcome),
    health: async () => ({ ok: true, sandbox: config.sandbox, queue: await built.queue.depth(), busy: built.controller.busy() }),
    extend: (app) => {
      metrics.mount(app, ctx);
      mountDashboard(app, ctx);
    },
  });
  let server: Listening;
  try {
    server = await listen(app, config.server.port, opts.host);
  } catch (e) {
    await built.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new Error(`port ${config.server.port} is in use. Fix: set PORT (or server.port) to a free port`);
    throw e;
  }
  built.controller.start();
  opts.logger.info({ url: server.url, sandbox: config.sandbox }, "tornade listening");
  return {
    url: server.url,
    port: server.port,
    built,
    async close() {
      await server.close();
      await built.close();
    },
  };
}
