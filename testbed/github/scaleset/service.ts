/**
 * The HTTP front of the simulated scale set service, on the GitHub sim's port:
 * - `POST /actions/runner-registration` (also under /api/v3, as on GitHub Enterprise Server), authenticated with
 *   `Authorization: RemoteAuth <registration token>`;
 * - the Actions service under SERVICE_PREFIX (`<sim>/_actions/`, the URL the registration answers), authenticated with
 *   `Authorization: Bearer <admin token>`, or the session's message queue token for messages and acquirejobs, and
 *   carrying `api-version=6.0-preview` (newActionsServiceRequest in client.go sets it on every call).
 * Around the routes: injected faults and latency, per-route call counts in the sim's stats, request bodies checked
 * against the client's types (400 naming every problem), an ActivityId on every answer (the client reports it), and
 * `onResponse` with every answer so tests can check it against the client's types.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { INT64_ARRAY, SCALE_SET_ROUTES, validateScaleSetBody } from "../../spec/scaleset-types.js";
import type { SimContext } from "../context.js";
import { error, restPath, Router, type Req, type Res } from "../http.js";
import { readBody, send } from "../server.js";
import type { SimResponseInfo } from "../types.js";
import { SERVICE_PREFIX, type ScaleSetBroker } from "./broker.js";
import { credentialOf } from "./tokens.js";
import type { ScaleSetRecord, Scope, SessionRecord } from "./types.js";
import { API_VERSION, exception } from "./wire.js";

export type Principal =
  | { kind: "registration"; scope: Scope }
  | { kind: "admin"; scope: Scope }
  | { kind: "queue"; set: ScaleSetRecord; session: SessionRecord; token: string };

export interface ServiceReq extends Req {
  who: Principal;
}

export interface ServiceRoute {
  method: string;
  template: string;
  auth: Principal["kind"];
  handler: (req: ServiceReq) => Res | Promise<Res>;
}

export const REGISTRATION_PATH = "/actions/runner-registration";

const unauthorized = (why: string) => exception(401, "VssUnauthorizedException", why);

export function createScaleSetService(ctx: SimContext, broker: ScaleSetBroker, routes: readonly ServiceRoute[], onResponse?: (r: SimResponseInfo) => void) {
  const router = new Router();
  const byKey = new Map<string, ServiceRoute>();
  for (const r of routes) {
    router.add(r.method, r.template, "none", (req) => r.handler(req as ServiceReq));
    byKey.set(`${r.method} ${r.template}`, r);
  }

  /** The principal the request authenticates as, or the 401 to answer. */
  const authenticate = (route: ServiceRoute, req: Req): Principal | Res => {
    const header = req.headers["authorization"];
    if (route.auth === "registration") {
      const token = credentialOf(header, "RemoteAuth");
      const t = token ? ctx.state.registrationTokens.get(token) : undefined;
      // A GitHub API endpoint: its errors have GitHub's basic error shape.
      if (!t || t.expiresAt <= ctx.clock.now()) return error(401, "Bad credentials: expected `Authorization: RemoteAuth <runner registration token>` with a token issued within the hour");
      return { kind: "registration", scope: { repo: t.repo } };
    }
    const token = credentialOf(header, "Bearer");
    if (route.auth === "admin") {
      const scope = token ? broker.adminScope(token) : null;
      return scope ? { kind: "admin", scope } : unauthorized("The admin token is missing, expired or not one this service issued; get a new one from POST /actions/runner-registration.");
    }
    const id = Number(req.params["scaleSetId"]);
    const set = broker.registry.sets.get(id);
    const session = set && token ? broker.sessionOfToken(set, token) : undefined;
    if (!set || !session || !token) return unauthorized("The message queue token is expired, or its session is gone; refresh the session (PATCH …/sessions/{sessionId}).");
    const sid = req.query.get("sessionId");
    if (sid !== null && sid !== session.id) return unauthorized(`sessionId ${sid} is not the scale set's session.`);
    return { kind: "queue", set, session, token };
  };

  /** Answers the request if it is one of the service's; false to let the GitHub REST handler have it. */
  return function serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? "/", ctx.site.url);
    const rest = restPath(url.pathname);
    let path: string;
    if (rest === REGISTRATION_PATH) path = rest;
    else if (url.pathname.startsWith(`${SERVICE_PREFIX}/`)) path = url.pathname.slice(SERVICE_PREFIX.length).replace(/(.)\/$/, "$1");
    else return false;
    void handle(req, res, url, path);
    return true;
  };

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const base = { date: new Date(ctx.clock.now()).toUTCString(), activityid: randomUUID() };
    const closed = new AbortController();
    res.on("close", () => closed.abort());
    const parsed = await readBody(req);
    const m = router.match(method, path);
    if (!m || !("route" in m)) {
      send(res, m ? exception(405, "MethodNotAllowedException", `${method} is not allowed on ${path}; use ${m.allowed.join(", ")}.`) : exception(404, "ResourceNotFoundException", `No route ${method} ${path} in the scale set service.`), base);
      return;
    }
    const route = byKey.get(`${method} ${m.route.template}`) as ServiceRoute;
    const key = `${method} ${route.template}`;
    ctx.stats.requests[key] = (ctx.stats.requests[key] ?? 0) + 1;
    const answer = (r: Res) => {
      const resKey = `${key} ${r.status}`;
      ctx.stats.responses[resKey] = (ctx.stats.responses[resKey] ?? 0) + 1;
      send(res, r, base);
      onResponse?.({ method, route: route.template, status: r.status, body: r.body });
    };
    const delay = ctx.latency.find((l) => (!l.method || l.method.toUpperCase() === method) && (!l.route || l.route === route.template));
    if (delay) await new Promise((r) => setTimeout(r, delay.ms));
    const fault = broker.failures.find((f) => (!f.method || f.method.toUpperCase() === method) && (!f.route || f.route === route.template) && f.times > 0);
    if (fault) {
      fault.times--;
      return answer(exception(fault.status, "ServiceUnavailableException", `The scale set service is failing on purpose (a test bed fault, ${fault.times} more).`));
    }
    if (!parsed.ok) return answer(exception(400, "ArgumentException", "The request body is not valid JSON."));
    if (route.auth !== "registration") {
      const version = url.searchParams.get("api-version") ?? /api-version=([^;,\s]+)/.exec(String(req.headers["accept"] ?? ""))?.[1];
      if (version !== API_VERSION) {
        return answer(
          exception(400, "VssVersionNotSpecifiedException", `Give api-version=${API_VERSION} as a query parameter or in the Accept header ("application/json; api-version=${API_VERSION}"); got ${version ?? "none"}.`),
        );
      }
    }
    const request: Req = { method, route: route.template, params: m.params, query: url.searchParams, body: parsed.body, headers: req.headers, actor: "scale-set", closed: closed.signal };
    const who = authenticate(route, request);
    if ("status" in who) return answer(who);
    const expected = SCALE_SET_ROUTES[key]?.request;
    if (expected) {
      const problems = parsed.body === undefined ? [`a ${expected === INT64_ARRAY ? "JSON array of request ids" : expected} body is required`] : validateScaleSetBody(expected, parsed.body, "request");
      if (problems.length > 0) return answer(exception(400, "ArgumentException", `Invalid ${method} ${route.template} body: ${problems.join("; ")}`));
    }
    try {
      answer(await route.handler({ ...request, who }));
    } catch (e) {
      answer(exception(500, "SimulatorException", `Simulator error: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
}
