/**
 * One running tornade: the controller (intake, workers, tracker) behind its two listeners — the public one (POST
 * /events, GET /healthz) and the operator one (dashboard, /api, /metrics, and /setup when a wizard is given).
 * `tornade serve` and the sandbox both start exactly this, so what the sandbox shows is what production runs.
 */
import { Hono } from "hono";
import { intakesOf, type Config } from "../config/index.js";
import { buildController, type BuildOptions, type Built } from "../controller/build.js";
import { adminAccessOf, createAdminApp } from "./admin-app.js";
import { publicAppFor, webhookSecretOf } from "./app.js";
import { mountDashboard } from "./dashboard-routes.js";
import { listenAdmin, listenPublic } from "./listeners.js";
import { createMetrics } from "./metrics-routes.js";
import type { Listening } from "./node.js";
import type { SetupWizard } from "./setup-routes.js";

export interface RunningTornade {
  /** The public listener, as reached from this machine: POST /events, GET /healthz. */
  readonly url: string;
  readonly port: number;
  /** The operator listener, as reached from this machine: the dashboard, /api, /metrics (and /setup in the sandbox). */
  readonly adminUrl: string;
  readonly adminPort: number;
  readonly config: Config;
  readonly built: Built;
  /** Stops taking requests, finishes work in hand, closes the store. */
  close(): Promise<void>;
}

export interface RunOptions extends BuildOptions {
  /** The setup wizard, mounted on the operator listener (the sandbox's; `serve --setup` runs setup.ts instead). */
  readonly setup?: SetupWizard;
}

export async function runTornade(config: Config, opts: RunOptions): Promise<RunningTornade> {
  const intakes = intakesOf(config);
  // Refused before anything is built or opened.
  if (intakes.webhooks) webhookSecretOf(config);
  const metrics = createMetrics();
  const built = await buildController(config, { ...opts, observer: opts.observer ?? metrics.observer });
  const ctx = { config, built, clock: opts.clock, logger: opts.logger };
  // Without the webhook intake (scale sets only) the public port has no /events: nothing from outside is taken in.
  const publicApp = intakes.webhooks
    ? publicAppFor(config, {
        takeIn: built.controller.takeIn,
        logger: opts.logger,
        onRefused: (outcome) => built.controller.observer.webhook(outcome),
      })
    : new Hono().get("/healthz", (c) => c.json({ ok: true }));
  const access = adminAccessOf(config);
  const adminApp = createAdminApp({
    access,
    logger: opts.logger,
    mount: [(app) => metrics.mount(app, ctx), (app) => mountDashboard(app, ctx), ...(opts.setup ? [opts.setup.mount] : [])],
  });
  let pub: Listening | undefined;
  let admin: Listening;
  try {
    pub = await listenPublic(publicApp, config);
    admin = await listenAdmin(adminApp, config);
  } catch (e) {
    await pub?.close();
    await built.close();
    throw e;
  }
  const publicListener = pub;
  built.controller.start();
  opts.logger.info(
    { public: publicListener.address, admin: admin.address, adminAuth: access.kind === "token" ? "bearer token" : "loopback only", sandbox: config.sandbox, intakes, scaleSets: config.scaleSets.sets.map((s) => s.name) },
    intakes.webhooks
      ? "tornade listening: POST /events and GET /healthz on public; dashboard, /api, /metrics on admin"
      : "tornade listening: GET /healthz only on public (intake scale-sets: no webhooks); dashboard, /api, /metrics on admin",
  );
  return {
    url: publicListener.url,
    port: publicListener.port,
    adminUrl: admin.url,
    adminPort: admin.port,
    config,
    built,
    async close() {
      await Promise.all([publicListener.close(), admin.close()]);
      await built.close();
    },
  };
}
