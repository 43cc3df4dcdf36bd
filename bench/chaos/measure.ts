/**
 * What a chaos run measured, read from the simulators' own state (never from tornade's store or logs): which jobs
 * GitHub saw complete, how often AWS was asked to launch, what was left running, and — for every job not served —
 * the evidence of why, so the owner of the failing part knows where to look.
 */
import type { TestBed } from "../../testbed/index.js";
import { parseRunnerName } from "../../src/core/reconcile.js";
import { accountLaunches, startedRunners, type LaunchAccount } from "./launches.js";
import { isPoolRunner, runnerNameOf } from "./runner-name.js";
import { STANDBY_UNTIL_ENV } from "../../src/core/runner-env.js";
import type { PlannedJob } from "./plan.js";
import type { StandbyWatch } from "./standby.js";
import type { ScaleSetChaos } from "./scale-set.js";

/** With scale-set intake: the watch that maps scale set jobs to GitHub's and explains a lost one (scale-set.ts). */
export type ScaleSetView = Pick<ScaleSetChaos, "restJobOf" | "storedIdsOf" | "evidence">;

/** GitHub's REST route for re-running one job ("Re-run a job from a workflow run"). */
export const RERUN_ROUTE = "POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun";

/** A planned job as GitHub queued it: its run and first attempt's job id. */
export interface QueuedJob {
  job: PlannedJob;
  runId: number;
  jobId: number;
  queuedAt: number;
}

export interface LostJob {
  name: string;
  jobId: number;
  /** GitHub's view of the latest attempt: "queued", "in_progress", "completed/failure", … */
  github: string;
  attempts: number;
  /** The runner GitHub gave the latest attempt to, if any. */
  runner: string | null;
  /** Why, as far as the simulators can tell. */
  evidence: string;
  /** What tornade's dashboard API said about the job at the end. */
  tornade: string;
}

export interface Measurement {
  jobs: number;
  completed: number;
  lost: number;
  reruns: number;
  rerunsRefused: number;
  launchCalls: number;
  /** Started runners that ran no job (see launches.ts). */
  extraLaunches: number;
  launches: LaunchAccount;
  orphans: number;
  orphanTasks: number;
  orphanBuilds: number;
  orphanRunners: number;
  orphanDetails: string[];
  /**
   * Runners' one-time JIT parameters still in Parameter Store (unread: a launch killed between PutParameter and
   * RunTask, or whose delete failed). Not orphans: each expires on its own after the boot timeout (core/runner-env.ts).
   */
  jitParametersLeft: number;
  /** Their names (the runner's name and a keyed suffix, never a value): whose handoff or launch left one. */
  jitParametersLeftNames: string[];
  /** JIT configs presented twice to open a runner session (GitHub sim's count): must be 0. */
  jitConfigReuses: number;
  jitConfigReusedBy: string[];
  /** With standbys: how many AWS started, how many were handed a job, and the jobs served warm. */
  standbys?: StandbyAccount;
  staticJobs: number;
  staticServed: number;
  staticUnserved: number;
  /** Simulated seconds from the first job queued until the last runner job settled (or the cut-off, when not drained). */
  drainSeconds: number;
  drained: boolean;
  /** Simulated seconds from a job's first attempt being queued to a runner taking it (p50, p95, max). */
  pickupSeconds: { p50: number; p95: number; max: number };
  lostJobs: LostJob[];
  /** The five jobs that settled last: what the drain waited for. */
  lastSettled: { name: string; jobId: number; settledSeconds: number; attempts: number; pickupSeconds: number | null }[];
}

/** Latest attempt of a planned job: GitHub keeps the name and bumps run_attempt on a re-run. */
function latestAttempt(bed: TestBed, q: QueuedJob) {
  const run = bed.github.control.getRun(q.runId);
  const attempts = (run?.jobs ?? []).filter((j) => j.name === q.job.name).sort((a, b) => (a.run_attempt ?? 1) - (b.run_attempt ?? 1));
  return { latest: attempts[attempts.length - 1], attempts };
}

/** Completed successfully — and a static job only by a pool runner (a runner launched for another job must not). */
export function isServed(bed: TestBed, q: QueuedJob): boolean {
  const { latest } = latestAttempt(bed, q);
  if (latest?.status !== "completed" || latest.conclusion !== "success") return false;
  return !q.job.static || isPoolRunner(latest.runner_name ?? undefined);
}

/** The jobs lost/completed/drain are counted over: static ones only when a static pool is configured to serve them. */
export function countedJobs(queued: QueuedJob[], countStatic: boolean): QueuedJob[] {
  return countStatic ? queued : queued.filter((q) => !q.job.static);
}

/** When the job settled (its latest attempt completed), in clock ms; undefined while it has not. */
export function settledAt(bed: TestBed, q: QueuedJob): number | undefined {
  const { latest } = latestAttempt(bed, q);
  return latest?.status === "completed" && latest.completed_at ? Date.parse(latest.completed_at) : undefined;
}

export interface Orphans {
  tasks: number;
  builds: number;
  runners: number;
  /** One line per orphan: what it is, its runner name and state. */
  details: string[];
}

/** What is still running or registered, pool members aside. */
export function orphansOf(bed: TestBed): Orphans {
  const aws = bed.aws.control;
  const details: string[] = [];
  const tasks = aws.listTasks().filter((t) => t.lastStatus !== "STOPPED" && !isPoolRunner(runnerNameOf(t.env)));
  for (const t of tasks) details.push(`task ${t.taskArn.split("/").pop()} ${t.capacity} ${t.lastStatus} runner ${runnerNameOf(t.env) ?? "?"}`);
  const builds = aws.listBuilds().filter((b) => b.buildStatus === "IN_PROGRESS" && !isPoolRunner(runnerNameOf(b.env)));
  for (const b of builds) details.push(`build ${b.id} ${b.currentPhase} runner ${runnerNameOf(b.env) ?? "?"}`);
  const runners = bed.github.control.listRunners().filter((r) => !isPoolRunner(r.name));
  for (const r of runners) details.push(`runner ${r.name} ${r.status}${r.busy ? " busy" : ""}`);
  return { tasks: tasks.length, builds: builds.length, runners: runners.length, details };
}

export interface StandbyAccount {
  /** Standby tasks and builds AWS started. */
  started: number;
  /** Standbys a job's JIT config was written to. */
  handedOff: number;
  /** Counted jobs whose (latest) runner was a standby's: served warm. */
  servedWarm: number;
  /** servedWarm / completed runner jobs. */
  hitRate: number;
  /** Standby tasks or builds still not stopped at the end (also in `orphans`). */
  left: number;
}

/** Runners' one-time JIT parameters still in Parameter Store (expired ones are gone). */
export function jitParametersLeft(bed: TestBed): number {
  return jitParameterNamesLeft(bed).length;
}

function jitParameterNamesLeft(bed: TestBed): string[] {
  return bed.aws.control.listParameters().filter((p) => p.name.startsWith(bed.aws.jitParameterPrefix)).map((p) => p.name);
}

function standbyAccount(bed: TestBed, watch: StandbyWatch, runnerJobs: QueuedJob[], served: QueuedJob[]): StandbyAccount {
  const handed = watch.handedRunners();
  const warm = served.filter((q) => handed.has(latestAttempt(bed, q).latest?.runner_name ?? "")).length;
  const live = [
    ...bed.aws.control.listTasks().filter((t) => t.lastStatus !== "STOPPED").map((t) => t.env),
    ...bed.aws.control.listBuilds().filter((b) => b.buildStatus === "IN_PROGRESS").map((b) => b.env),
  ];
  return {
    started: watch.started(),
    handedOff: handed.size,
    servedWarm: warm,
    hitRate: served.length === 0 ? 0 : Math.round((1000 * warm) / served.length) / 1000,
    left: live.filter((env) => env[STANDBY_UNTIL_ENV] !== undefined).length,
  };
}

export function measure(
  bed: TestBed,
  queued: QueuedJob[],
  opts: { countStatic: boolean; drained: boolean; cutoffAt: number; tornade: Map<number, string>; standby?: StandbyWatch; scaleSet?: ScaleSetView },
): Measurement {
  const { countStatic, drained, cutoffAt } = opts;
  const gh = bed.github.control;
  const runnerJobs = countedJobs(queued, countStatic);
  const staticJobs = queued.filter((q) => q.job.static);
  const served = runnerJobs.filter((q) => isServed(bed, q));
  const stats = gh.stats();
  const scaleSet = opts.scaleSet;
  const launches = accountLaunches(bed, opts.standby, scaleSet ? (id) => scaleSet.restJobOf(id) : undefined);
  const reuses = gh.jitConfigReuses();
  const o = orphansOf(bed);
  const first = Math.min(...queued.map((q) => q.queuedAt));
  const settled = runnerJobs.map((q) => settledAt(bed, q) ?? cutoffAt);
  const lostJobs = runnerJobs.filter((q) => !isServed(bed, q)).map((q) => explainLost(bed, q, opts.tornade, opts.standby, scaleSet));
  return {
    jobs: runnerJobs.length,
    completed: served.length,
    lost: runnerJobs.length - served.length,
    reruns: stats.responses[`${RERUN_ROUTE} 201`] ?? 0,
    rerunsRefused: (stats.requests[RERUN_ROUTE] ?? 0) - (stats.responses[`${RERUN_ROUTE} 201`] ?? 0),
    launchCalls: launches.calls,
    extraLaunches: launches.extra,
    launches,
    orphans: o.tasks + o.builds + o.runners,
    orphanTasks: o.tasks,
    orphanBuilds: o.builds,
    orphanRunners: o.runners,
    orphanDetails: o.details,
    jitParametersLeft: jitParametersLeft(bed),
    jitParametersLeftNames: jitParameterNamesLeft(bed),
    jitConfigReuses: reuses.length,
    jitConfigReusedBy: reuses.map((u) => `${u.runner} (${u.uses} times)`),
    ...(opts.standby ? { standbys: standbyAccount(bed, opts.standby, runnerJobs, served) } : {}),
    staticJobs: staticJobs.length,
    staticServed: staticJobs.filter((q) => isServed(bed, q)).length,
    staticUnserved: staticJobs.filter((q) => !isServed(bed, q)).length,
    drainSeconds: settled.length === 0 ? 0 : Math.round((Math.max(...settled) - first) / 1000),
    drained,
    pickupSeconds: pickup(bed, runnerJobs),
    lostJobs,
    lastSettled: lastSettled(bed, runnerJobs, first, cutoffAt),
  };
}

function pickup(bed: TestBed, jobs: QueuedJob[]): Measurement["pickupSeconds"] {
  const waits = jobs
    .map((q) => bed.github.control.getJob(q.jobId))
    .filter((j) => j?.runner_name)
    .map((j) => (Date.parse(j?.started_at ?? "") - Date.parse(j?.created_at ?? "")) / 1000)
    .sort((a, b) => a - b);
  const at = (p: number) => Math.round(waits[Math.min(waits.length - 1, Math.floor(p * waits.length))] ?? 0);
  return { p50: at(0.5), p95: at(0.95), max: Math.round(waits[waits.length - 1] ?? 0) };
}

function lastSettled(bed: TestBed, jobs: QueuedJob[], first: number, cutoffAt: number): Measurement["lastSettled"] {
  return jobs
    .map((q) => ({ q, at: settledAt(bed, q) ?? cutoffAt }))
    .sort((a, b) => b.at - a.at)
    .slice(0, 5)
    .map(({ q, at }) => {
      const { attempts } = latestAttempt(bed, q);
      const j = bed.github.control.getJob(q.jobId);
      const started = j?.started_at ? Date.parse(j.started_at) : NaN;
      return {
        name: q.job.name,
        jobId: q.jobId,
        settledSeconds: Math.round((at - first) / 1000),
        attempts: attempts.length,
        pickupSeconds: Number.isFinite(started) ? Math.round((started - q.queuedAt) / 1000) : null,
      };
    });
}

/** The simulators' evidence for one job that was not served. */
function explainLost(bed: TestBed, q: QueuedJob, tornade: Map<number, string>, watch?: StandbyWatch, scaleSet?: ScaleSetView): LostJob {
  const gh = bed.github.control;
  const { latest, attempts } = latestAttempt(bed, q);
  const ids = new Set(attempts.map((a) => Number(a.id)));
  // The ids tornade knows the job by: GitHub's, or with scale sets one per request the service made for it.
  const stored = scaleSet ? scaleSet.storedIdsOf(ids) : ids;
  const deliveries = gh.listDeliveries().filter((d) => d.jobId !== null && ids.has(d.jobId) && d.action === "queued");
  const acked = deliveries.some((d) => d.statusCode >= 200 && d.statusCode < 300);
  const launched = launchesFor(bed, stored, watch);
  const github = latest ? (latest.status === "completed" ? `completed/${latest.conclusion}` : String(latest.status)) : "unknown";
  let evidence: string;
  if (latest?.status === "completed" && q.job.interruptAtFraction !== null) evidence = "Spot-interrupted while running; not re-run";
  else if (latest?.status === "completed") evidence = `completed ${latest.conclusion}; not re-run`;
  else if (latest?.status === "in_progress") evidence = "still running at the cut-off";
  else if (q.job.static) evidence = "no pool runner took it";
  else if (scaleSet) evidence = scaleSet.evidence(ids, launched);
  else if (!acked && deliveries.length === 0) evidence = "queued webhook dropped without a trace; the job was not found by any scan";
  else if (!acked) evidence = `queued webhook never acknowledged (${[...new Set(deliveries.map((d) => d.status))].join(", ")}); not redelivered`;
  else if (launched === 0) evidence = "queued webhook acknowledged, but no task or build was launched for it";
  else evidence = `${launched} launches, but no runner took the job`;
  const told = [...stored].map((id) => tornade.get(id)).filter((v): v is string => v !== undefined);
  return { name: q.job.name, jobId: q.jobId, github, attempts: attempts.length, runner: latest?.runner_name ?? null, evidence, tornade: told.join("; ") || "no record" };
}

/** Tasks and builds whose runner was named for one of these (stored) job ids (tornade names runners tornade-<jobId>-<n>). */
function launchesFor(bed: TestBed, jobIds: Set<number>, watch?: StandbyWatch): number {
  return startedRunners(bed, watch).filter((s) => {
    const meant = parseRunnerName(s.runner);
    return meant !== null && jobIds.has(meant.jobId);
  }).length;
}
