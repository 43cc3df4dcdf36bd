/**
 * The simulated runner: what a Fargate task or CodeBuild build of the test bed runs in place of actions/runner.
 * It knows only its JIT config: it decodes it, opens a session with the server named there, long-polls for its job,
 * "runs" it for the job's planned duration in clock time (renewing the job lease every 60 s, as the real runner does),
 * reports the planned conclusion and exits.
 *
 * Exit codes follow a container's: 0 done, 1 bad config or refused registration, 143 after SIGTERM (128 + 15), 137
 * after SIGKILL (128 + 9). On SIGTERM during a job the job is reported failed, as GitHub shows a job whose runner
 * "received a shutdown signal"; on SIGKILL nothing is reported and the server notices the runner is gone.
 */
import { systemClock, type Clock } from "../../src/clock/clock.js";
import { decodeJitConfig, JitConfigError } from "../github/jitconfig.js";

export interface RunnerRunOptions {
  clock?: Clock;
  /** Aborting it is SIGTERM. */
  signal?: AbortSignal;
  /** Aborting it is SIGKILL: every request is cut, nothing more is said to the server. */
  kill?: AbortSignal;
  /** Where the runner logs (never the config itself). */
  log?: (line: string) => void;
}

export interface RunnerOutcome {
  exitCode: number;
  jobId: number | null;
  conclusion: "success" | "failure" | "cancelled" | null;
  reason: string;
}

/** The actions runner renews its job lease every 60 s. */
const RENEW_EVERY_MS = 60_000;
const POLL_WAIT_MS = 50_000;

class Killed extends Error {}

interface JobMsg {
  id: number;
  name: string;
  durationSeconds: number;
  conclusion: "success" | "failure";
}

function isJobMsg(v: unknown): v is JobMsg {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o["id"] === "number" && typeof o["durationSeconds"] === "number" && (o["conclusion"] === "success" || o["conclusion"] === "failure");
}

export async function runSimulatedRunner(encodedJitConfig: string, opts: RunnerRunOptions = {}): Promise<RunnerOutcome> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? (() => {});
  const term = opts.signal ?? new AbortController().signal;
  const kill = opts.kill ?? new AbortController().signal;
  const out = (exitCode: number, reason: string, jobId: number | null = null, conclusion: RunnerOutcome["conclusion"] = null): RunnerOutcome => {
    log(`runner exits ${exitCode}: ${reason}`);
    return { exitCode, jobId, conclusion, reason };
  };

  let config;
  try {
    config = decodeJitConfig(encodedJitConfig);
  } catch (e) {
    const why = e instanceof JitConfigError ? e.message : "the JIT config could not be read";
    return out(1, `invalid JIT config: ${why}`);
  }
  const base = config.runner.serverUrl.replace(/\/$/, "");
  const auth = "Basic " + Buffer.from(`${config.credentials.data.clientId}:${config.credentials.data.clientSecret}`).toString("base64");
  const name = config.runner.agentName;

  const call = async (method: string, path: string, body?: unknown, signal?: AbortSignal) => {
    if (kill.aborted) throw new Killed();
    try {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: signal ? AbortSignal.any([signal, kill]) : kill,
      });
      const text = await res.text();
      return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
    } catch (e) {
      if (kill.aborted) throw new Killed();
      throw e;
    }
  };

  let sessionId: string | null = null;
  let jobId: number | null = null;
  try {
    const s = await call("POST", "/sessions");
    const sid = (s.json as { sessionId?: unknown } | undefined)?.sessionId;
    if (s.status !== 201 || typeof sid !== "string") return out(1, `runner ${name} could not register (HTTP ${s.status})`);
    sessionId = sid;
    log(`runner ${name} is online, listening for jobs`);
    const endSession = () => call("DELETE", `/sessions/${sessionId}`).catch(() => undefined);

    for (;;) {
      if (term.aborted) {
        await endSession();
        return out(143, "received SIGTERM while idle");
      }
      let poll;
      try {
        poll = await call("GET", `/sessions/${sessionId}/message?waitMs=${POLL_WAIT_MS}`, undefined, term);
      } catch (e) {
        if (e instanceof Killed) throw e;
        if (term.aborted) continue;
        log(`poll failed (${e instanceof Error ? e.message : String(e)}); retrying`);
        await clock.sleep(5_000, kill).catch(() => undefined);
        continue;
      }
      if (poll.status === 204) continue;
      // Removed while waiting (deleted through the API, or its job was cancelled before it started): nothing to run.
      if (poll.status === 401) return out(0, `runner ${name} was removed from the server`);
      const job = (poll.json as { job?: unknown } | undefined)?.job;
      if (poll.status !== 200 || !isJobMsg(job)) return out(1, `unexpected answer to the job poll (HTTP ${poll.status})`);

      jobId = job.id;
      log(`runner ${name} runs job ${job.id} (${job.name}) for ${job.durationSeconds}s`);
      const result = await runJob(job);
      if (result === "sigterm") {
        await call("POST", `/jobs/${job.id}/complete`, { conclusion: "failure" }).catch(() => undefined);
        await endSession();
        return out(143, "received SIGTERM during the job; reported it failed", job.id, "failure");
      }
      if (result === "lost") {
        await endSession();
        return out(0, `job ${job.id} is no longer this runner's (cancelled)`, job.id, "cancelled");
      }
      await call("POST", `/jobs/${job.id}/complete`, { conclusion: job.conclusion });
      jobId = null;
      if (config.runner.ephemeral) {
        await endSession();
        return out(0, `job ${job.id} completed (${job.conclusion})`, job.id, job.conclusion);
      }
    }
  } catch (e) {
    if (e instanceof Killed) return out(137, "killed (SIGKILL)", jobId, null);
    return out(1, `runner failed: ${e instanceof Error ? e.message : String(e)}`, jobId, null);
  }

  async function runJob(job: JobMsg): Promise<"done" | "sigterm" | "lost"> {
    let remaining = job.durationSeconds * 1000;
    while (remaining > 0) {
      const step = Math.min(RENEW_EVERY_MS, remaining);
      const started = clock.now();
      try {
        await clock.sleep(step, AbortSignal.any([term, kill]));
      } catch {
        if (kill.aborted) throw new Killed();
        return "sigterm";
      }
      remaining -= Math.max(step, clock.now() - started);
      if (remaining <= 0) break;
      const r = await call("POST", `/jobs/${job.id}/renew`).catch((e: unknown) => {
        if (e instanceof Killed) throw e;
        return { status: 0, json: undefined };
      });
      if (r.status === 409 || r.status === 401) return "lost";
    }
    return "done";
  }
}
