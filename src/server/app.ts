/**
 * The public HTTP face of tornade: POST /events (GitHub's webhooks) and GET /healthz, nothing else — the dashboard,
 * API, metrics and setup wizard live on the operator listener (admin-app.ts). Hono, so the same app serves Node
 * (`tornade serve`) and Lambda (`lambda/webhook.ts`). It knows requests and answers; what a job is lives in the
 * receiver.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../log/logger.js";
import type { WebhookOutcome } from "../controller/observer.js";
import { abortWarner, isClientAbort } from "./aborts.js";

export interface WebhookDelivery {
  /** X-GitHub-Event */
  readonly event: string;
  /** X-GitHub-Delivery: GitHub keeps it on redelivery, so it is the dedupe key. */
  readonly guid: string;
  /** The parsed JSON body; the receiver validates its shape. */
  readonly payload: unknown;
}

export interface WebhookAnswer {
  readonly status: 200 | 202 | 400 | 422 | 503;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface WebhookReceiver {
  /** Must answer only after what it decided is durably stored. */
  receive(delivery: WebhookDelivery): Promise<WebhookAnswer>;
}

export interface PublicAppDeps {
  readonly receiver: WebhookReceiver;
  /** Constant-time check of X-Hub-Signature-256 over the raw body. */
  readonly verifySignature: (rawBody: string, signature: string | undefined) => Promise<boolean>;
  readonly bodyLimitBytes: number;
  readonly logger: Logger;
  /** Counts webhook requests refused (or abandoned by their clients) before they reach the receiver. */
  readonly onRefused?: (outcome: WebhookOutcome) => void;
}

// GitHub's delivery ids are GUIDs; anything else is not from GitHub (and must not reach the store as a key).
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT = /^[a-z_]{1,64}$/;

export function createPublicApp(deps: PublicAppDeps): Hono {
  const app = new Hono();
  const warnAborted = abortWarner(deps.logger);

  // Liveness and nothing more: anyone can reach this port, so it tells nothing of the queue, the load or the mode.
  app.get("/healthz", (c) => c.json({ ok: true }));

  app.post(
    "/events",
    bodyLimit({
      maxSize: deps.bodyLimitBytes,
      onError: (c) => {
        deps.onRefused?.("too-large");
        // The rest of the body is never read: close the connection so the client cannot reuse a desynchronised socket.
        c.header("Connection", "close");
        return c.json({ error: `body larger than ${deps.bodyLimitBytes} bytes` }, 413);
      },
    }),
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
      const answer = await deps.receiver.receive({ event, guid, payload });
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
