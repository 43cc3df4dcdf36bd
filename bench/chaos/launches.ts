/**
 * Where every launch went, read from the simulators alone. A launch is a task or build AWS actually started; a call
 * AWS refused (no Spot capacity, throttled, 5xx) started nothing and costs nothing, so it is counted apart as a refused
 * call. An ephemeral runner runs at most one job, so each started runner either ran a job attempt — the job it was
 * launched for or an identical sibling's — or ran none: that one was extra. Its reason says which fault cost it.
 */
import type { TestBed } from "../../testbed/index.js";
import { parseRunnerName } from "../../src/core/reconcile.js";
import { parseSpareRunnerName } from "../../src/core/scale-set.js";
import { STANDBY_NAME_PREFIX } from "../../src/core/standby.js";
import { isPoolRunner, runnerNameOf } from "./runner-name.js";
import type { StandbyWatch } from "./standby.js";

export interface LaunchAccount {
  /** `ecs.RunTask` + `codebuild.StartBuild` calls, refused ones included. */
  calls: number;
  /** Calls that started nothing: Spot capacity failures, throttling, 5xx. */
  refusedCalls: number;
  /** Tasks and builds started for runner jobs (pool runners left out: they are launched for the pool, not a job). */
  started: number;
  /** Started runners that ran a job attempt (a first attempt or a re-run). */
  ranAJob: number;
  /** Started runners that ran no job: the extra launches. */
  extra: number;
  /** The extra launches by reason, e.g. {"spot-interrupted before a job": 3}. */
  extraByReason: Record<string, number>;
}

export interface Started {
  runner: string | undefined;
  /** Why AWS stopped it, when it did: "SpotInterruption", "UserInitiated", "FAILED", … */
  stop: string | undefined;
  /** Who stopped it and why, in words (StopTask's reason), when known. */
  words: string | undefined;
}

/**
 * Every task and build AWS started, with the runner it was launched as (a standby: the runner whose config was handed
 * to it, if one was) and how it stopped.
 */
export function startedRunners(bed: TestBed, standbys?: Pick<StandbyWatch, "handedTo">): Started[] {
  const aws = bed.aws.control;
  const runnerOf = (env: Record<string, string>) => standbys?.handedTo(env) ?? runnerNameOf(env);
  const tasks = aws.listTasks().map((t) => ({ runner: runnerOf(t.env), stop: t.stopCode, words: t.stoppedReason }));
  const builds = aws.listBuilds().map((b) => ({
    runner: runnerOf(b.env),
    stop: b.buildStatus === "IN_PROGRESS" ? undefined : b.buildStatus,
    words: undefined,
  }));
  return [...tasks, ...builds];
}

/**
 * GitHub's job id for the job id in a runner's name: the same in webhook mode; a scale set's job is named by its
 * stored id (the negated request id), which the chaos run's scale set watch maps back (scale-set.ts).
 */
export type RestJobOf = (storedId: number) => number | undefined;

/** Why a runner that ran no job was started and then wasted, as far as the simulators can tell. */
function reasonFor(s: Started, jobRunner: Map<number, string | null>, restJobOf: RestJobOf): string {
  if (s.stop === "SpotInterruption") return "spot-interrupted before a job";
  if (parseSpareRunnerName(s.runner ?? "")) return "a scale set's spare runner that took no job (started from the statistics)";
  const meant = parseRunnerName(s.runner);
  const ranOn = meant ? jobRunner.get(restJobOf(meant.jobId) ?? meant.jobId) : undefined;
  if (meant && ranOn && ranOn !== s.runner) return "its job ran on another runner (taken by a sibling or replaced)";
  if (meant && ranOn === null) return "its job never ran (cancelled or still queued)";
  if (s.runner?.startsWith(STANDBY_NAME_PREFIX)) return "a standby never handed a job (recycled, killed, or retired at the end)";
  if (!meant) return "not a tornade runner name";
  if (ranOn === undefined) return "its job is unknown to GitHub";
  // Its own job ran on it? Then it took a job; only reached for the wrong runner name, so say what AWS said.
  return `other: ${s.stop ?? "still running"}${s.words ? ` (${s.words.split(/[:.]/)[0]})` : ""}`;
}

export function accountLaunches(bed: TestBed, standbys?: Pick<StandbyWatch, "handedTo">, restJobOf: RestJobOf = (id) => id): LaunchAccount {
  const calls = bed.aws.control.stats().calls;
  const callCount = (calls["ecs.RunTask"] ?? 0) + (calls["codebuild.StartBuild"] ?? 0);
  const everything = startedRunners(bed, standbys);
  const started = everything.filter((s) => !isPoolRunner(s.runner));
  const jobs = bed.github.control.listJobs();
  // Each job id's runner (null: it never ran); and every runner name that took some job.
  const jobRunner = new Map(jobs.map((j) => [Number(j.id), j.runner_name ?? null] as const));
  const tookAJob = new Set(jobs.map((j) => j.runner_name).filter((n): n is string => !!n));
  const extraByReason: Record<string, number> = {};
  let ranAJob = 0;
  for (const s of started) {
    if (s.runner !== undefined && tookAJob.has(s.runner)) {
      ranAJob += 1;
      continue;
    }
    const why = reasonFor(s, jobRunner, restJobOf);
    extraByReason[why] = (extraByReason[why] ?? 0) + 1;
  }
  return {
    calls: callCount,
    refusedCalls: callCount - everything.length,
    started: started.length,
    ranAJob,
    extra: started.length - ranAJob,
    extraByReason,
  };
}
