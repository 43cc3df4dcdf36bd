import { until as pollUntil } from "../until.js";
/**
 * Shared by the simulator's tests: a sim whose every answer is checked against GitHub's OpenAPI subset, a webhook
 * receiver that verifies signatures like tornade must, and App JWTs made by hand for the auth-failure cases.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createSign } from "node:crypto";
import { verify } from "@octokit/webhooks-methods";
import { validateGitHubResponse, validateWebhookPayload } from "../spec/github-openapi.js";
import { startGitHubSim, type GitHubSim, type GitHubSimOptions } from "./index.js";

export interface CheckedSim {
  sim: GitHubSim;
  /** Spec violations seen so far, one line each; a test ends by expecting this to be empty. */
  violations: string[];
}

function isBasicError(b: unknown): boolean {
  return typeof b === "object" && b !== null && typeof (b as { message?: unknown }).message === "string" && typeof (b as { documentation_url?: unknown }).documentation_url === "string";
}

/** Routes the sim serves that are outside the spec subset are not validated (none are expected). */
export async function startCheckedSim(opts: GitHubSimOptions = {}): Promise<CheckedSim> {
  const violations: string[] = [];
  const sim = await startGitHubSim({
    ...opts,
    onResponse: (r) => {
      // GitHub's description leaves out the 401, 404, rate-limit (403/429) and 5xx answers most operations can give; those
      // are checked for GitHub's basic error shape instead of failing as "not documented".
      for (const v of validateGitHubResponse(r.method, r.route, r.status, r.body)) {
        if (/is not documented/.test(v) && ([401, 403, 404, 429].includes(r.status) || r.status >= 500)) {
          if (!isBasicError(r.body)) violations.push(`${r.method} ${r.route} ${r.status}: not GitHub's basic error body`);
        } else violations.push(v);
      }
      opts.onResponse?.(r);
    },
  });
  return { sim, violations };
}

export interface Received {
  event: string;
  guid: string;
  signatureOk: boolean;
  headers: Record<string, string>;
  payload: Record<string, unknown>;
  schemaErrors: string[];
}

export interface Receiver {
  url: string;
  received: Received[];
  /** What the receiver answers next (default 200). */
  status: number;
  /** Real milliseconds each answer is held back (default 0), to see deliveries overlap. */
  holdMs: number;
  /** The most deliveries that were ever being answered at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

export async function startReceiver(secret: string): Promise<Receiver> {
  const rec: Receiver = { url: "", received: [], status: 200, holdMs: 0, maxInFlight: 0, close: async () => {} };
  let inFlight = 0;
  const server: Server = createServer(async (req, res) => {
    rec.maxInFlight = Math.max(rec.maxInFlight, ++inFlight);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const sig = String(req.headers["x-hub-signature-256"] ?? "");
    const event = String(req.headers["x-github-event"] ?? "");
    const payload = JSON.parse(raw) as Record<string, unknown>;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    rec.received.push({
      event,
      guid: String(req.headers["x-github-delivery"] ?? ""),
      signatureOk: await verify(secret, raw, sig),
      headers,
      payload,
      schemaErrors: validateWebhookPayload(event, payload),
    });
    if (rec.holdMs > 0) await new Promise((r) => setTimeout(r, rec.holdMs));
    inFlight--;
    res.writeHead(rec.status).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  rec.close = () => new Promise<void>((r) => server.close(() => r()));
  return rec;
}

/** An RS256 JWT with chosen claims, signed with `pem`. */
export function signJwt(pem: string, claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = `${enc({ alg: "RS256", typ: "JWT" })}.${enc(claims)}`;
  const sig = createSign("RSA-SHA256").update(head).sign(pem).toString("base64url");
  return `${head}.${sig}`;
}

/** Polls `cond` on real time until true (tests must not assert durations; this only bounds the wait). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  await pollUntil(what, async () => (await cond()) || undefined, timeoutMs, 5);
}
