/**
 * The sim's stand-in for the Actions service a runner talks to (the real one is broker/pipelines, not the REST API).
 * Only a holder of a JIT config's credentials (Basic clientId:clientSecret) gets in. The flow mirrors the real
 * runner's: create a session (online), long-poll for a job message, renew the job lease every 60 s while running,
 * complete the job, delete the session (offline).
 */
import type { SimContext } from "./context.js";
import { error, intParam, isRecord, type Req, type Res, type Router } from "./http.js";
import type { RunnerRecord } from "./types.js";

/** The real runner's long poll lasts about 50 s before it asks again. */
const MAX_POLL_MS = 50_000;

function credentialsOf(req: Req): { clientId: string; secret: string } | null {
  const h = req.headers["authorization"];
  const m = typeof h === "string" ? /^Basic\s+(\S+)$/i.exec(h) : null;
  if (!m?.[1]) return null;
  const [clientId = "", secret = ""] = Buffer.from(m[1], "base64").toString("utf8").split(":");
  return { clientId, secret };
}

function runnerOf(ctx: SimContext, req: Req): RunnerRecord | null {
  const c = credentialsOf(req);
  if (!c) return null;
  for (const r of ctx.state.runners.values()) {
    if (r.clientId === c.clientId && r.clientSecret === c.secret) return r;
  }
  return null;
}

/**
 * Counts a session opened with a JIT config's credentials (SimState.jitConfigUses). Keyed by the clientId, which only
 * that config carries, so a second use is seen even after the runner is gone (GitHub then answers 401).
 */
function countUse(ctx: SimContext, req: Req, runner: RunnerRecord | null): void {
  const c = credentialsOf(req);
  if (!c) return;
  const seen = ctx.state.jitConfigUses.get(c.clientId);
  if (seen) seen.uses++;
  else if (runner) ctx.state.jitConfigUses.set(c.clientId, { runner: runner.name, uses: 1 });
}

const unauthorized = (): Res => error(401, "The runner registration was not found or its credentials are wrong.");

export function addRunnerProtocolRoutes(router: Router, ctx: SimContext): void {
  router
    .add("POST", "/_runner/sessions", "none", (req) => {
      const r = runnerOf(ctx, req);
      countUse(ctx, req, r);
      if (!r) return unauthorized();
      // An ephemeral runner that already served its job is gone; one whose session is open cannot open a second.
      if (r.sessionId !== null) return error(409, `A session for runner ${r.name} already exists.`);
      const sessionId = ctx.scheduler.openSession(r);
      return { status: 201, body: { sessionId, runnerId: r.id, runnerName: r.name } };
    })
    .add("DELETE", "/_runner/sessions/{session_id}", "none", (req) => {
      const r = runnerOf(ctx, req);
      if (!r) return { status: 204 };
      if (r.sessionId === req.params["session_id"]) ctx.scheduler.closeSession(r);
      return { status: 204 };
    })
    .add("GET", "/_runner/sessions/{session_id}/message", "none", async (req) => {
      const r = runnerOf(ctx, req);
      if (!r) return unauthorized();
      if (r.sessionId !== req.params["session_id"]) return error(404, "Session not found.");
      const wait = Math.min(MAX_POLL_MS, Math.max(0, Number(req.query.get("waitMs") ?? MAX_POLL_MS) || 0));
      const poll = ctx.scheduler.poll(r, wait);
      req.closed.addEventListener("abort", poll.cancel, { once: true });
      const job = await poll.job;
      req.closed.removeEventListener("abort", poll.cancel);
      if (!ctx.state.runners.has(r.id)) return unauthorized();
      return job ? { status: 200, body: { job } } : { status: 204 };
    })
    .add("POST", "/_runner/jobs/{job_id}/renew", "none", (req) => {
      const r = runnerOf(ctx, req);
      if (!r) return unauthorized();
      const id = intParam(req.params["job_id"]);
      if (id === null || !ctx.scheduler.renew(r, id)) return error(409, "The job is no longer assigned to this runner.");
      return { status: 200, body: { lockedUntil: new Date(ctx.clock.now() + 10 * 60_000).toISOString() } };
    })
    .add("POST", "/_runner/jobs/{job_id}/complete", "none", (req) => {
      const r = runnerOf(ctx, req);
      if (!r) return unauthorized();
      const id = intParam(req.params["job_id"]);
      const c = isRecord(req.body) ? req.body["conclusion"] : undefined;
      if (c !== "success" && c !== "failure" && c !== "cancelled") return error(422, "conclusion must be success, failure or cancelled");
      if (id === null || !ctx.scheduler.complete(r, id, c)) return error(409, "The job is no longer assigned to this runner.");
      return { status: 200, body: {} };
    });
}
