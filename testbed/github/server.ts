/**
 * The HTTP front of the simulator: authentication, rate limits, injected faults and bookkeeping around the routers.
 * API answers carry what GitHub's do: x-ratelimit-* on every answer ("Rate limits for the REST API"),
 * x-github-request-id, and a Date header in the shared clock's time (so @octokit/auth-app's clock-skew correction
 * sees the sim's time, as it would GitHub's).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearer, verifyAppJwt } from "./auth.js";
import type { SimContext } from "./context.js";
import { DOCS, error, restPath, type Permission, type Req, type Res, type Router } from "./http.js";
import { RATE_LIMIT_DOCS, SECONDARY_MESSAGE } from "./ratelimit.js";
import type { SimResponseInfo } from "./types.js";

export interface Routers {
  api: Router;
  internal: Router;
}

export async function readBody(req: IncomingMessage): Promise<{ ok: true; body: unknown } | { ok: false }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export function send(res: ServerResponse, r: Res, extra: Record<string, string>): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { ...extra, ...(r.headers ?? {}) };
  if (r.status === 204 || r.body === undefined) {
    res.writeHead(r.status, headers).end();
    return;
  }
  headers["content-type"] = "application/json; charset=utf-8";
  res.writeHead(r.status, headers).end(JSON.stringify(r.body));
}

export function createRequestHandler(ctx: SimContext, routers: Routers, onResponse?: (r: SimResponseInfo) => void) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", ctx.site.url);
    const path = restPath(url.pathname);
    const requestId = randomBytes(8).toString("hex").toUpperCase();
    const base: Record<string, string> = { date: new Date(ctx.clock.now()).toUTCString(), "x-github-request-id": requestId };
    const closed = new AbortController();
    res.on("close", () => closed.abort());
    const internal = path.startsWith("/_control/") || path.startsWith("/_runner/");
    const router = internal ? routers.internal : routers.api;
    const m = router.match(method, path);
    const parsed = await readBody(req);
    if (!m || !("route" in m)) {
      send(res, m ? error(405, "Method Not Allowed") : error(404, "Not Found"), base);
      return;
    }
    const { route, params } = m;
    if (!parsed.ok) {
      send(res, error(400, "Problems parsing JSON"), base);
      return;
    }
    const request: Req = { method, route: route.template, params, query: url.searchParams, body: parsed.body, headers: req.headers, actor: "anonymous", closed: closed.signal };
    if (internal) {
      send(res, await safely(() => route.handler(request)), base);
      return;
    }

    const key = `${method} ${route.template}`;
    ctx.stats.requests[key] = (ctx.stats.requests[key] ?? 0) + 1;
    const answer = (r: Res, actor: string) => {
      const headers = { ...base, "x-github-api-version-selected": "2022-11-28", ...ctx.limiter.headers(actor, ctx.clock.now()) };
      const resKey = `${key} ${r.status}`;
      ctx.stats.responses[resKey] = (ctx.stats.responses[resKey] ?? 0) + 1;
      send(res, r, headers);
      onResponse?.({ method, route: route.template, status: r.status, body: r.body });
    };

    // Authentication.
    const credential = bearer(typeof req.headers.authorization === "string" ? req.headers.authorization : undefined);
    if (route.auth === "app") {
      const check = credential
        ? verifyAppJwt(credential, ctx.publicKey, ctx.site.appId, ctx.site.clientId, ctx.clock.now())
        : { ok: false as const, message: "A JSON web token could not be decoded" };
      if (!check.ok) return answer(error(401, check.message), "anonymous");
      request.actor = "app";
    } else if (route.auth === "installation") {
      const tok = credential ? ctx.tokens.check(credential, ctx.clock.now()) : null;
      if (tok) request.actor = `installation:${tok.installationId}`;
      else if (credential && credential === ctx.personalToken) request.actor = "pat";
      else return answer(error(401, "Bad credentials"), "anonymous");
    }

    // Rate limits.
    const verdict = ctx.limiter.admit(request.actor, route.template, method, route.creates, ctx.clock.now());
    if (verdict.kind === "primary") {
      ctx.stats.primaryLimited++;
      const who = request.actor.startsWith("installation:") ? `installation ID ${request.actor.slice(13)}` : request.actor;
      return answer(error(ctx.limiter.config.limitedStatus, `API rate limit exceeded for ${who}.`, RATE_LIMIT_DOCS), request.actor);
    }
    if (verdict.kind === "secondary") {
      ctx.stats.secondaryLimited++;
      const r = error(ctx.limiter.config.limitedStatus, `${SECONDARY_MESSAGE}${requestId}.`, `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`);
      return answer({ ...r, headers: { "retry-after": String(verdict.retryAfterS) } }, request.actor);
    }
    try {
      const refused = installationRefusal(ctx, route.needs, request);
      if (refused) return answer(refused, request.actor);
      const delay = ctx.latency.find((l) => (!l.method || l.method.toUpperCase() === method) && (!l.route || l.route === route.template));
      if (delay) await new Promise((r) => setTimeout(r, delay.ms));
      const fault = ctx.endpointFaults.find((f) => f.method === method && f.route === route.template && f.times > 0);
      if (fault) {
        fault.times--;
        return answer(error(fault.status, fault.status === 503 ? "Service Unavailable" : "Server Error", DOCS), request.actor);
      }
      answer(await safely(() => route.handler(request)), request.actor);
    } finally {
      ctx.limiter.release(request.actor);
    }
  };
}

/**
 * What GitHub answers an installation token that may not make this call: 404 for a repository the installation does
 * not cover (GitHub does not reveal whether it exists), 403 "Resource not accessible by integration" when the
 * installation lacks the permission the endpoint needs ("Permissions required for GitHub Apps",
 * https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps).
 */
function installationRefusal(ctx: SimContext, needs: Permission | undefined, req: Req): Res | undefined {
  if (!req.actor.startsWith("installation:")) return undefined;
  const repo = req.params["repo"];
  const owner = req.params["owner"];
  if (repo !== undefined && owner?.toLowerCase() === ctx.site.owner.toLowerCase() && !ctx.state.coversRepo(repo)) return error(404, "Not Found");
  if (needs && !ctx.state.grants(needs[0], needs[1])) return error(403, "Resource not accessible by integration", PERMISSIONS_DOCS);
  return undefined;
}

const PERMISSIONS_DOCS = "https://docs.github.com/rest/actions/self-hosted-runners";

async function safely(fn: () => Res | Promise<Res>): Promise<Res> {
  try {
    return await fn();
  } catch (e) {
    return error(500, `Simulator error: ${e instanceof Error ? e.message : String(e)}`);
  }
}
