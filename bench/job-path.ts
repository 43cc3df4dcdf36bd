/**
 * One job's path from webhook to RunTask, stamped where the bench can see it without touching tornade: the relay
 * (the delivery arrives; tornade's 202 comes back), the GitHub sim (it answers the job's GET, if tornade asks, and
 * its generate-jitconfig) and the AWS sim (PutParameter of the runner's config arrives; RunTask / StartBuild arrives).
 * Every stamp is real ms in the bench process. The gaps between stamps split the overhead into what tornade does
 * between two calls and what a call costs:
 *
 *   intake       delivery at the relay → tornade's answer back at the relay (durable commit, HTTP both ways)
 *   to GitHub    answer → the GitHub sim answered the job's first call (queue, worker, gate, launch row)
 *   to JIT       that answer → its JIT config answered (0 unless tornade first asked whether the job is still queued)
 *   to SSM       JIT config answered → PutParameter arrived (tornade reads the answer, signs and sends)
 *   to AWS       PutParameter arrived → RunTask / StartBuild arrived (the sim's answer, tornade signs and sends)
 *
 * The simulators share the bench process with the relay and the simulated runners, so the harness's own event-loop
 * delay over the same span is reported beside it (bench/steady.ts): a gap that wide is the harness's, not tornade's.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { parseRunnerName } from "../src/core/reconcile.js";
import { percentile, round } from "./stats.js";

export const PATH_SEGMENTS = ["intake", "toGitHub", "toJit", "toSsm", "toAws"] as const;
export type PathSegment = (typeof PATH_SEGMENTS)[number];

/** p50 / p99 of each segment, ms, over the jobs whose every stamp was seen; and the harness's loop delay. */
export interface PathReport {
  jobs: number;
  segments: Record<PathSegment, { p50Ms: number; p99Ms: number }>;
  harnessLoop: { p50Ms: number; p99Ms: number; maxMs: number };
}

interface Stamps {
  received?: number;
  answered?: number;
  github?: number;
  jit?: number;
  put?: number;
  launch?: number;
}

const JIT_ROUTE = "/repos/{owner}/{repo}/actions/runners/generate-jitconfig";
const JOB_ROUTE = "/repos/{owner}/{repo}/actions/jobs/{job_id}";
/** A job's first attempt's runner: the parameter name carries it (core/runner-env.ts jitParameterName). */
const FIRST_RUNNER = /\/(tornade-\d+-1)\.[0-9a-f]+$/;

export class JobPath {
  private readonly stamps = new Map<number, Stamps>();
  private loop: IntervalHistogram | undefined;

  constructor(private readonly now: () => number) {}

  received(jobId: number, at: number): void {
    this.of(jobId).received ??= at;
  }

  answered(jobId: number, at: number): void {
    this.of(jobId).answered ??= at;
  }

  /** The GitHub sim answered: a job's GET (tornade's ready check) or its first runner's JIT config. */
  github(route: string, status: number, body: unknown): void {
    const at = this.now();
    if (route === JOB_ROUTE && status === 200) {
      const id = (body as { id?: number } | null)?.id;
      if (typeof id === "number") this.of(id).github ??= at;
    } else if (route === JIT_ROUTE && status === 201) {
      const name = (body as { runner?: { name?: string } } | null)?.runner?.name;
      const parsed = parseRunnerName(name);
      if (parsed && parsed.attempt === 1) {
        const s = this.of(parsed.jobId);
        s.github ??= at;
        s.jit ??= at;
      }
    }
  }

  /** An AWS request arrived: the first attempt's PutParameter. */
  aws(operation: string, body: unknown): void {
    if (operation !== "PutParameter") return;
    const name = (body as { Name?: string } | null)?.Name ?? "";
    const parsed = parseRunnerName(FIRST_RUNNER.exec(name)?.[1]);
    if (parsed) this.of(parsed.jobId).put ??= this.now();
  }

  launched(jobId: number, at: number): void {
    this.of(jobId).launch ??= at;
  }

  /** Starts sampling the bench process's event-loop delay (the span the jobs are measured over). */
  watchHarness(): void {
    this.loop = monitorEventLoopDelay({ resolution: 1 });
    this.loop.enable();
  }

  report(ids: readonly number[]): PathReport {
    const gaps: Record<PathSegment, number[]> = { intake: [], toGitHub: [], toJit: [], toSsm: [], toAws: [] };
    let jobs = 0;
    for (const id of ids) {
      const s = this.stamps.get(id);
      if (!s || s.received === undefined || s.answered === undefined || s.github === undefined || s.jit === undefined || s.put === undefined || s.launch === undefined) continue;
      jobs++;
      gaps.intake.push(s.answered - s.received);
      gaps.toGitHub.push(s.github - s.answered);
      gaps.toJit.push(s.jit - s.github);
      gaps.toSsm.push(s.put - s.jit);
      gaps.toAws.push(s.launch - s.put);
    }
    const loop = this.loop;
    loop?.disable();
    const ms = (ns: number | undefined) => round((ns ?? NaN) / 1e6, 1);
    const segments = Object.fromEntries(
      PATH_SEGMENTS.map((k) => [k, { p50Ms: round(percentile(gaps[k], 50), 1), p99Ms: round(percentile(gaps[k], 99), 1) }]),
    ) as PathReport["segments"];
    return { jobs, segments, harnessLoop: { p50Ms: ms(loop?.percentile(50)), p99Ms: ms(loop?.percentile(99)), maxMs: ms(loop?.max) } };
  }

  private of(jobId: number): Stamps {
    let s = this.stamps.get(jobId);
    if (!s) this.stamps.set(jobId, (s = {}));
    return s;
  }
}
