/**
 * What should happen to one job now: a pure function of the stored job, its launches and the time.
 *
 * Events never act; they only ask for a look (level-triggered, like Kubernetes controllers). Running `decide` twice,
 * late, or after a crash yields the same answer for the same stored state, which is what makes recovery provable.
 */
import type { Backend, JobStatus, LaunchFailure, LaunchPhase, LaunchSpec } from "./types.js";
import type { JobDecision } from "./job-decision.js";
import { describeOutcome, isTaken, takenBySibling, type RunnerOutcome, type TornadeStop } from "./launch-outcome.js";
import { checkRunOutput, type CheckRunJob } from "./check-run.js";

export interface JobView {
  readonly status: JobStatus;
  readonly decision: JobDecision | null;
  /** GitHub's conclusion once completed ("success", "failure", "cancelled", …). */
  readonly conclusion?: string | null;
  /** The runner GitHub gave the job, once it started. */
  readonly runnerName?: string | null;
  /**
   * The launch behind `runnerName` when it is one of tornade's — the job's own, or an identical sibling's that took
   * it. Whether a failed job was lost to a Spot interruption is read from this launch, not from the job's own.
   */
  readonly ranOn?: LaunchView | null;
  /**
   * When this job's runner was taken by an identical sibling: the runner that sibling no longer needs — its own, if
   * still starting — found by following the chain of takings (spareRunner in controller/spares.ts). That runner will
   * take this job, so launching another would leave one idle.
   */
  readonly spare?: LaunchView | null;
  /** The job's name and labels, for the check run that says why tornade will not serve it (core/check-run.ts). */
  readonly shown?: CheckRunJob;
  /** When GitHub created the job, and when tornade first heard of it (epoch ms). */
  readonly createdAt?: number;
  readonly receivedAt?: number;
  /**
   * For a job of a later run attempt: the backend tornade chose when it re-ran an earlier attempt of this job after a
   * Spot interruption (the earlier job row's re-run target). Its first runner goes there, not where the labels say.
   */
  readonly rerunTarget?: Backend | null;
}

export interface LaunchView {
  readonly attempt: number;
  readonly backend: Backend;
  readonly state: LaunchPhase;
  readonly providerId: string | null;
  readonly requestedAt: number;
  /** When the provider accepted the launch (task or build id known). */
  readonly launchedAt?: number | null;
  /** When the runner's task or build was seen running. */
  readonly startedAt?: number | null;
  /** When the runner's task or build was seen stopped. */
  readonly stoppedAt?: number | null;
  readonly runnerName?: string;
  /** AWS stopped this FARGATE_SPOT task for a Spot interruption. */
  readonly spotInterrupted?: boolean;
  /** Why the launch did not start (state "failed"). */
  readonly error?: LaunchFailure | null;
  /** What became of its runner: taken by another job, lost to a Spot interruption, failed, stopped by tornade. */
  readonly outcome?: RunnerOutcome | null;
}

export interface ReconcilePolicy {
  /** Launch attempts per job before giving up with a visible reason. */
  readonly maxAttempts: number;
  /** FARGATE_SPOT without capacity → FARGATE. */
  readonly spotFallback: boolean;
  /** First retry delay after a retryable failure; doubles per attempt up to retryMaxMs, with jitter. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /**
   * A launch still "requested" (no task or build id recorded) this long after it began was interrupted — the
   * process died between asking GitHub for a JIT config and recording the provider's answer. Its JIT config cannot
   * be recovered (secrets are never stored), so the next attempt starts fresh.
   */
  readonly requestLeaseMs: number;
  /**
   * A launched runner not running this long after launch never came up (image pull failure, capacity stuck in
   * PROVISIONING): it is stopped and replaced. Fargate typically starts a task in well under a minute.
   */
  readonly bootTimeoutMs: number;
  /** A job whose runner was taken by a Spot interruption is re-run once through GitHub's re-run API. */
  readonly spotRerun: boolean;
  /** Where the re-run job's runner goes: on-demand by default, so the same interruption cannot strike twice. */
  readonly rerunBackend: Backend | "same";
  /**
   * After a runner stops while its job still looks queued, how long to wait for the webhook that says the job ran
   * (deliveries lag in a burst) before asking GitHub and replacing the runner.
   */
  readonly replaceGraceMs: number;
  /**
   * A job first heard of this long after GitHub created it is confirmed queued (one GET) before its first launch: a
   * redelivery that late, or a signed body replayed with a fresh X-GitHub-Delivery (the signature does not cover
   * that header), must not start a runner for a job that is long done. Fresh jobs cost nothing extra.
   */
  readonly confirmOlderThanMs: number;
}

export const defaultReconcilePolicy: ReconcilePolicy = {
  maxAttempts: 5,
  spotFallback: true,
  retryBaseMs: 2_000,
  retryMaxMs: 60_000,
  requestLeaseMs: 120_000,
  bootTimeoutMs: 10 * 60_000,
  spotRerun: true,
  rerunBackend: "FARGATE",
  replaceGraceMs: 120_000,
  confirmOlderThanMs: 5 * 60_000,
};

/** How long to wait before looking again at a failed job whose runner's task has not been seen to stop yet. */
const SPOT_VERDICT_WAIT_MS = 30_000;

export type Action =
  | {
      readonly kind: "launch";
      readonly attempt: number;
      readonly spec: LaunchSpec;
      readonly fallbackFrom?: Backend;
      /**
       * Ask GitHub first whether the job is still queued: set when replacing a runner that stopped, because the
       * webhook saying the job started or finished may simply not have arrived yet; and before the first launch for
       * a job tornade first heard of long after it was created (ReconcilePolicy.confirmOlderThanMs).
       */
      readonly verify?: true;
    }
  | { readonly kind: "abandon"; readonly attempt: number; readonly reason: string }
  /** Stop a launched runner (and deregister it): it never came up, or its job was cancelled before it started. */
  | { readonly kind: "stop"; readonly attempt: number; readonly reason: string; readonly why: Exclude<TornadeStop, "idle"> }
  /** Tell GitHub why tornade will not serve the job: a check run on its commit naming the reason. */
  | { readonly kind: "report"; readonly title: string; readonly summary: string }
  /** Ask GitHub to re-run the job: its runner was lost to a Spot interruption mid-job. */
  | { readonly kind: "rerun"; readonly reason: string }
  /**
   * This job's runner was lost to a Spot interruption, but not while running this job: ask GitHub which job it was
   * running (an identical sibling whose webhooks were lost would otherwise fail unnoticed and never be re-run). Also
   * asked, before giving up, of a runner that ended cleanly without taking this job: whether a sibling took it.
   */
  | { readonly kind: "find-job-on-runner"; readonly attempt: number; readonly reason: string }
  /** Ask GitHub how the job stands now, then look again after `retryInMs`: its webhooks may have been lost. */
  | { readonly kind: "refresh"; readonly retryInMs: number; readonly reason: string }
  | { readonly kind: "wait"; readonly until: number; readonly reason: string }
  | { readonly kind: "give-up"; readonly reason: string }
  | { readonly kind: "done"; readonly reason: string };

export function decide(job: JobView, launches: readonly LaunchView[], now: number, policy: ReconcilePolicy): Action {
  const decision = job.decision;
  if (decision && (decision.kind === "rejected" || decision.kind === "failed") && decision.headSha && !decision.reported) {
    return { kind: "report", ...checkRunOutput(decision, job.shown) };
  }
  if (!decision || decision.kind !== "launch") return { kind: "done", reason: decision ? decision.kind : "no decision" };
  // An interrupted launch is cleared whatever the job did meanwhile, so it stops counting as a runner in flight.
  const stale = launches.find((l) => l.state === "requested" && l.providerId === null && now - l.requestedAt >= policy.requestLeaseMs);
  if (stale) return { kind: "abandon", attempt: stale.attempt, reason: "launch interrupted before the provider answered" };
  if (policy.spotRerun) {
    const lostElsewhere = launches.find((l) => l.state === "stopped" && l.spotInterrupted && l.outcome?.kind === "spot-interrupted" && !l.outcome.checked && l.runnerName !== job.runnerName);
    if (lostElsewhere) {
      return { kind: "find-job-on-runner", attempt: lostElsewhere.attempt, reason: "its runner was lost to a Spot interruption, not while running this job" };
    }
  }
  const last = latestLaunch(launches);
  if (job.status === "completed") return afterCompletion(job, decision, last, now, policy);
  if (job.status === "in_progress") {
    // Its runner is gone: GitHub fails the job shortly, and if that webhook is lost too the job would never be re-run.
    const ranOn = job.ranOn;
    if (policy.spotRerun && !decision.rerun && ranOn?.spotInterrupted && ranOn.state === "stopped") {
      return { kind: "refresh", retryInMs: SPOT_VERDICT_WAIT_MS, reason: "its runner was lost to a Spot interruption; waiting for GitHub to fail the job" };
    }
    return { kind: "done", reason: "a runner took the job" };
  }
  // `waiting` jobs wait for an environment's approval; a runner started now would only idle.
  if (job.status === "waiting") return { kind: "done", reason: "job waiting for approval" };

  if (!last) {
    const spec = job.rerunTarget ? { ...decision.spec, backend: job.rerunTarget } : decision.spec;
    return { kind: "launch", attempt: 1, spec, ...(heardOfLate(job, policy) ? { verify: true as const } : {}) };
  }

  // GitHub gave this job's runner to an identical sibling (its in_progress webhook named the runner). The sibling's
  // own runner, if still starting, is as good as ours: wait for it. Otherwise the job needs another runner now, not
  // after the grace for late webhooks. One GET first: in a swap (each took the other's runner) the job is already
  // running and its own webhook is merely behind. Such launches served a job, so they do not count toward maxAttempts.
  const holds = last.state === "launched" || last.state === "running" || last.state === "stopped";
  const taken = holds && last.outcome?.kind === "taken" ? last.outcome : null;
  if (taken && taken.refused === null) {
    const until = job.spare ? spareDeadline(job.spare, policy) : null;
    if (until !== null && now < until) return { kind: "wait", until, reason: "a sibling's spare runner is starting" };
    return { kind: "launch", attempt: last.attempt + 1, spec: { ...decision.spec, backend: last.backend }, verify: true };
  }

  // A job tornade refuses (a repository outside the allow-list, a job without the launch label) took this job's
  // runner: a policy violation, already logged and counted when it was seen. The job still needs a runner, so it gets
  // another now (after one GET) — but such runners count toward maxAttempts, so a stream of foreign jobs cannot make
  // tornade launch without bound. The lasting fix is a runner group admitting only the allowed repositories.
  if (taken) {
    if (attemptsCounted(launches) >= policy.maxAttempts) {
      const taking = describeOutcome(taken).message;
      return { kind: "give-up", reason: `gave up after ${attemptsCounted(launches)} runners; the last was taken by a job this tornade refuses (${taking})` };
    }
    return { kind: "launch", attempt: last.attempt + 1, spec: { ...decision.spec, backend: last.backend }, verify: true };
  }

  switch (last.state) {
    case "launched":
      if (last.launchedAt != null && now - last.launchedAt >= policy.bootTimeoutMs) {
        return { kind: "stop", attempt: last.attempt, reason: `runner not running ${policy.bootTimeoutMs / 1000} s after launch`, why: "boot-timeout" };
      }
      return last.launchedAt != null
        ? { kind: "wait", until: last.launchedAt + policy.bootTimeoutMs, reason: "runner starting" }
        : { kind: "done", reason: "runner launched" };
    case "running":
      return { kind: "done", reason: "runner launched" };
    case "stopped":
      // The runner ended and the job is still queued: it never took this job — an identical sibling in the same run
      // took it (labels match both), or it crashed or was stopped before starting. Replace it, bounded.
      if (attemptsCounted(launches) >= policy.maxAttempts) {
        // Before giving up for good, ask GitHub about each runner that ended cleanly for no known reason: an ephemeral
        // runner exits cleanly after running a job, so most likely a sibling took it and that webhook was lost. One
        // found on a sibling's job is a taken runner, which does not count; the others are marked checked.
        const unexplained = launches.find((l) => l.state === "stopped" && !l.outcome && l.runnerName !== undefined);
        if (unexplained) return { kind: "find-job-on-runner", attempt: unexplained.attempt, reason: "its runner ended cleanly without taking this job" };
        return { kind: "give-up", reason: `gave up after ${attemptsCounted(launches)} runners ended without taking the job` };
      }
      // A runner that exited cleanly most often did run the job and its webhooks are still on their way: give them a
      // moment before spending a GitHub call (and maybe a runner) on it. One stopped for a reason is replaced now.
      if (!last.outcome && last.stoppedAt != null && now - last.stoppedAt < policy.replaceGraceMs) {
        return { kind: "wait", until: last.stoppedAt + policy.replaceGraceMs, reason: "runner stopped; waiting for the job's webhook" };
      }
      return { kind: "launch", attempt: last.attempt + 1, spec: { ...decision.spec, backend: last.backend }, verify: true };
    case "requested":
      if (last.providerId !== null) return { kind: "done", reason: "runner launched" };
      return { kind: "wait", until: last.requestedAt + policy.requestLeaseMs, reason: "launch in flight" };
    case "failed":
      return afterFailure(last, attemptsCounted(launches), now, decision.spec, policy);
  }
}

/** True when tornade first heard of the job at least confirmOlderThanMs after GitHub created it. */
function heardOfLate(job: JobView, policy: ReconcilePolicy): boolean {
  if (job.createdAt === undefined || job.receivedAt === undefined) return false;
  return job.receivedAt - job.createdAt >= policy.confirmOlderThanMs;
}


function afterCompletion(
  job: JobView,
  decision: Extract<JobDecision, { kind: "launch" }>,
  last: LaunchView | undefined,
  now: number,
  policy: ReconcilePolicy,
): Action {
  const ranOn = job.ranOn ?? null;
  if (job.conclusion === "failure" && ranOn && policy.spotRerun && !decision.rerun) {
    if (ranOn.spotInterrupted) return { kind: "rerun", reason: "its runner was lost to a Spot interruption" };
    // GitHub reports the failure before AWS reports why the runner's task stopped: look again once it has.
    if (ranOn.state === "launched" || ranOn.state === "running") {
      return { kind: "wait", until: now + SPOT_VERDICT_WAIT_MS, reason: "waiting to learn whether the runner was interrupted" };
    }
  }
  if (!last) return { kind: "done", reason: "job completed" };
  const ranOnOurs = job.runnerName != null && job.runnerName === last.runnerName;
  // Cancelled before its runner took it: that runner would only idle.
  if (job.conclusion === "cancelled" && !ranOnOurs && (last.state === "launched" || last.state === "running")) {
    return { kind: "stop", attempt: last.attempt, reason: "job cancelled before its runner took it", why: "cancelled" };
  }
  return { kind: "done", reason: "job completed" };
}

function afterFailure(
  last: LaunchView,
  attempts: number,
  now: number,
  spec: LaunchSpec,
  policy: ReconcilePolicy,
): Action {
  const error: LaunchFailure = last.error ?? { kind: "transient", message: "launch failed" };
  if (error.kind === "permanent") return { kind: "give-up", reason: error.message };
  if (attempts >= policy.maxAttempts) {
    return { kind: "give-up", reason: `gave up after ${attempts} launch attempts: ${error.message}` };
  }
  const next = last.attempt + 1;
  if (error.kind === "capacity" && last.backend === "FARGATE_SPOT" && policy.spotFallback) {
    // No Spot capacity: on-demand Fargate right away rather than leaving the job waiting.
    return { kind: "launch", attempt: next, spec: { ...spec, backend: "FARGATE" }, fallbackFrom: "FARGATE_SPOT" };
  }
  const until = last.requestedAt + retryDelay(last.attempt, policy);
  if (now < until) return { kind: "wait", until, reason: `retrying after ${error.kind}: ${error.message}` };
  return { kind: "launch", attempt: next, spec: { ...spec, backend: last.backend } };
}

/** Exponential backoff with deterministic "equal jitter" (half fixed, half spread by attempt), capped. */
export function retryDelay(attempt: number, policy: Pick<ReconcilePolicy, "retryBaseMs" | "retryMaxMs">): number {
  const exp = Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  const spread = ((attempt * 2654435761) % 1000) / 1000; // Knuth's multiplicative hash: stable, well spread
  return Math.round(exp / 2 + (exp / 2) * spread);
}

/**
 * Until when a spare runner can be counted on to take a job: a live one, for as long as its own boot would be waited
 * for. Null when it holds no runner (stopped, failed, or a request that never reached the provider).
 */
function spareDeadline(spare: LaunchView, policy: ReconcilePolicy): number | null {
  if (isTaken(spare.outcome)) return null;
  if (spare.state === "requested") return spare.providerId === null ? spare.requestedAt + policy.requestLeaseMs : spare.requestedAt + policy.bootTimeoutMs;
  if (spare.state === "launched") return (spare.launchedAt ?? spare.requestedAt) + policy.bootTimeoutMs;
  // Up and idle with this job queued, GitHub hands it over within seconds; if not, its webhook is late or lost, and
  // after the same grace a stopped runner gets, the job is asked about and served anew.
  if (spare.state === "running") return (spare.startedAt ?? spare.launchedAt ?? spare.requestedAt) + policy.replaceGraceMs;
  return null;
}

/** Launch attempts that count toward maxAttempts: runners taken by a sibling served a job, so they do not. */
function attemptsCounted(launches: readonly LaunchView[]): number {
  return launches.filter((l) => takenBySibling(l.outcome) === undefined).length;
}

/** A job's latest launch attempt: the one that holds (or held) its runner. */
export function latestLaunch<L extends { readonly attempt: number }>(launches: readonly L[]): L | undefined {
  let best: L | undefined;
  for (const l of launches) if (!best || l.attempt > best.attempt) best = l;
  return best;
}

/** The runner's name: unique per job and attempt, so a retry never collides with an earlier registration. */
export function runnerName(jobId: number, attempt: number): string {
  return `tornade-${jobId}-${attempt}`;
}

/** The job id and attempt a tornade runner name stands for; null for any other runner. */
export function parseRunnerName(name: string | null | undefined): { jobId: number; attempt: number } | null {
  // A scale set's job has a negative id (core/scale-set.ts scaleSetJobId): tornade--7-1.
  const m = name ? /^tornade-(-?\d+)-(\d+)$/.exec(name) : null;
  return m ? { jobId: Number(m[1]), attempt: Number(m[2]) } : null;
}

/** ECS clientToken / CodeBuild idempotencyToken: the same job and attempt always launch at most once. */
export function idempotencyKey(jobId: number, attempt: number): string {
  return `tornade-${jobId}-${attempt}`;
}
