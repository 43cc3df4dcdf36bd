/**
 * The HTTP face of tornade, built from the services it is given (Hono: the same app serves Node and, later, Lambda).
 * It knows requests and answers; what a job is lives in the receiver.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../log/logger.js";
import type { WebhookOutcome } from "../controller/observer.js";

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

export interface AppDeps {
  readonly receiver: WebhookReceiver;
  /** Constant-time check of X-Hub-Signature-256 over the raw body. */
  readonly verifySignature: (rawBody: string, signature: string | undefined) => Promise<boolean>;
  readonly bodyLimitBytes: number;
  readonly health: () => Promise<Readonly<Record<string, unknown>>> | Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  /** Counts webhook requests refused before they reach the receiver. */
  readonly onRefused?: (outcome: WebhookOutcome) => void;
  /** Extra routes (dashboard, JSON API) mounted by the caller. */
  readonly extend?: (app: Hono) => void;
}

// GitHub's delivery ids are GUIDs; anything else is not from GitHub (and must not reach the store as a key).
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT = /^[a-z_]{1,64}$/;

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.get("/healthz", async (c) => c.json(await deps.health()));

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

  deps.extend?.(app);
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => {
    // Never echo internals (they may name secrets' locations); the log has the detail.
    deps.logger.error({ path: c.req.path, err: String(err) }, "request failed");
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
