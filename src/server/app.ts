/**
 * The public HTTP face of tornade: POST /events (GitHub's webhooks) and GET /healthz, nothing else — the dashboard,
 * API, metrics and setup wizard live on the operator listener (admin-app.ts). Hono, so the same app serves Node
 * (`tornade serve`) and Lambda (`lambda/webhook.ts`). It knows requests and answers: a verified delivery goes to the
 * controller's intake (`takeIn`), and its typed outcome becomes the HTTP answer here (`answerOf`).
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Config } from "../config/index.js";
import { verifyWebhookSignature } from "../github/webhook-verify.js";
import type { Logger } from "../log/logger.js";
import type { WebhookOutcome } from "../controller/observer.js";
import type { DeliveryOutcome, WebhookObservation } from "../controller/observations.js";
import { abortWarner, isClientAbort } from "./aborts.js";

export interface PublicAppDeps {
  /** The controller's intake; it answers only after what it decided is durably stored. */
  readonly takeIn: (delivery: WebhookObservation) => Promise<DeliveryOutcome>;
  /** Constant-time check of X-Hub-Signature-256 over the raw body. */
  readonly verifySignature: (rawBody: string, signature: string | undefined) => Promise<boolean>;
  readonly bodyLimitBytes: number;
  readonly logger: Logger;
  /** Counts webhook requests refused (or abandoned by their clients) before they reach the intake. */
  readonly onRefused?: (outcome: WebhookOutcome) => void;
}

// GitHub's delivery ids are GUIDs; anything else is not from GitHub (and must not reach the store as a key).
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT = /^[a-z_]{1,64}$/;

/** The webhook secret, required wherever webhooks are taken in. */
export function webhookSecretOf(config: Config): string {
  const secret = config.github.webhookSecret;
  if (!secret) throw new Error("github.webhookSecret is required (TORNADE_WEBHOOK_SECRET): webhooks cannot be verified without it");
  return secret;
}

/** The public app as configured: `tornade serve` (run.ts) and the Lambda webhook function (lambda/wiring.ts) both build it here. */
export function publicAppFor(config: Config, deps: Pick<PublicAppDeps, "takeIn" | "logger" | "onRefused">): Hono {
  const secret = webhookSecretOf(config);
  return createPublicApp({
    ...deps,
    verifySignature: async (raw, signature) => verifyWebhookSignature(secret, raw, signature),
    bodyLimitBytes: config.server.bodyLimitBytes,
  });
}

export function createPublicApp(deps: PublicAppDeps): Hono {
  const app = new Hono();
  const warnAborted = abortWarner(deps.logger);

  // Liveness and nothing more: anyone can reach this port, so it tells nothing of the queue, the load or the mode.
  app.get("/healthz", (c) => c.json({ ok: true }));

  const tooLarge = (c: Context) => {
    deps.onRefused?.("too-large");
    // The rest of the body is never read: close the connection so the client cannot reuse a desynchronised socket.
    c.header("Connection", "close");
    return c.json({ error: `body larger than ${deps.bodyLimitBytes} bytes` }, 413);
  };
  const counted = bodyLimit({ maxSize: deps.bodyLimitBytes, onError: tooLarge });

  app.post(
    "/events",
    async (c, next) => {
      // A declared Content-Length (GitHub always sends one) is the body's length: Node's parser reads no more. Checking
      // it here, not through bodyLimit, leaves the body stream untouched, so @hono/node-server reads the body straight
      // from Node's request instead of building a web Request around it — measured, that Request (its AbortSignal,
      // web streams and their garbage) cost more main-thread time than the rest of the intake together.
      const length = c.req.header("content-length");
      if (length === undefined || !/^\d{1,15}$/.test(length) || c.req.header("transfer-encoding") !== undefined) return counted(c, next);
      return Number(length) > deps.bodyLimitBytes ? tooLarge(c) : next();
    },
    async (c) => {
      const raw = await c.req.text();
      // Authenticity first: nothing of an unsigned body is parsed or stored.
      if (!(await deps.verifySignature(raw, c.req.header("x-hub-signature-256")))) {
        deps.onRefused?.("unauthorized");
        return c.json({ error: "missing or invalid X-Hub-Signature-256" }, 401);
      }
      const event = c.req.header("x-github-event") ?? "";
      const guid = c.req.header("x-github-delivery") ?? "";
      const invalid = (error: string) => {
        deps.onRefused?.("invalid");
        return c.json({ error }, 400);
      };
      if (!EVENT.test(event)) return invalid("missing or invalid X-GitHub-Event");
      if (!GUID.test(guid)) return invalid("missing or invalid X-GitHub-Delivery");
      let payload: unknown;
      try {
        payload = JSON.parse(raw);
      } catch {
        return invalid("body is not JSON");
      }
      const answer = answerOf(await deps.takeIn({ kind: "webhook", event, guid, payload }));
      return c.json(answer.body, answer.status);
    },
  );

  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => {
    if (isClientAbort(err, c.env)) {
      deps.onRefused?.("aborted");
      warnAborted(c.req.path);
      // Nobody is left to read it.
      return c.body(null, 400);
    }
    // Never echo internals (they may name secrets' locations); the log has the detail.
    deps.logger.error({ path: c.req.path, err: String(err) }, "request failed");
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}

/**
 * What GitHub is told about a delivery. 2xx for everything taken in or deliberately left alone (GitHub marks anything
 * else failed, and the sweeper would redeliver it); 202 when a job was stored and will be looked at; 400 for a body
 * no redelivery can fix.
 */
export function answerOf(outcome: DeliveryOutcome): { status: 200 | 202 | 400; body: Record<string, unknown> } {
  switch (outcome.kind) {
    case "ping":
      return { status: 200, body: { ok: true } };
    case "other-event":
      return { status: 202, body: { ignored: `event ${outcome.event}` } };
    case "invalid":
      return { status: 400, body: { error: outcome.error } };
    case "duplicate":
      return { status: 200, body: { duplicate: true } };
    case "foreign":
      return { status: 200, body: { job: outcome.jobId, decision: "ignored", stored: "none" } };
    case "taken-in":
      return { status: 202, body: { job: outcome.jobId, decision: outcome.decision, stored: outcome.stored } };
  }
}
