/**
 * Which of tornade's runners to let go: the reaper's decisions, pure. After a burst nothing of tornade's may be left
 * running or registered, yet a runner that may still serve a job must never be touched. Over plain views of the
 * launches that hold a runner, the jobs they were launched for, the jobs still queued, what GitHub lists and `now`,
 * `classifyRunners` says what to do with each runner — or, when it lacks a fact, which one to look up first:
 *
 * - a runner whose job went to another runner (or was cancelled, or is unknown to GitHub), online but not busy, idle
 *   past the idle timeout, that no queued job could take (identical labels), is **released**: deregistered first and
 *   stopped only if GitHub let go of it — never a busy one;
 * - a runner up and idle long after launch while its job is still believed queued makes tornade **ask GitHub about
 *   the job**: its later webhooks may have been lost, and that stale belief would keep the runner (and every runner
 *   with the same labels) alive. Asked once a round; a job GitHub says is done, elsewhere or unknown is settled by the
 *   answer and its runner released in the same round, and never asked about again;
 * - a standby handed its job's config that is still not online past the idle timeout after the handoff, while the
 *   job waits, never got (or never used) the config: it is **released** (deregistered first, never a busy one), so
 *   the job gets another runner instead of waiting for the standby's own deadline;
 * - a registration nobody will use — offline, named like tornade's, with no live launch behind it (left by a launch
 *   interrupted between the JIT config and the provider's answer) — is **deregistered**.
 *
 * The reaper (controller/reaper.ts) loads the facts, performs the looks this function asks for, calls it again, and
 * acts on the actions once no look is left. Every look adds a fact, so a round ends after a few passes.
 */
import { parseRunnerName } from "./reconcile.js";
import { isScaleSetJob } from "./scale-set.js";
import type { JobStatus } from "./types.js";

export interface RunnerPolicy {
  /** A runner idle this long after launch, its job gone elsewhere, is released. */
  readonly idleTimeoutMs: number;
}

/** A launch that holds a runner (launched or running). */
export interface HeldRunner {
  readonly launchId: string;
  readonly jobId: number;
  readonly runnerName: string;
  /** When the provider accepted the launch; null when it never answered. */
  readonly launchedAt: number | null;
  /** Its runner went to another job (a sibling's, or one tornade refuses): it runs that job and exits when done. */
  readonly taken: boolean;
  /**
   * Its job's config was handed to a waiting standby (docs/standby.md), whose task was up already: its runner is
   * online within seconds of `launchedAt`, unless the config never reached it (the message lost) or it died first.
   */
  readonly handoff?: boolean;
}

/** The job a runner was launched for, as far as its runner's fate goes. */
export interface RunnerJob {
  readonly id: number;
  readonly status: JobStatus;
  /** The runner GitHub gave the job, once it started. */
  readonly runnerName: string | null;
  readonly labels: readonly string[];
  /**
   * Whether tornade still means to serve it (its decision is to launch). False once it was filed otherwise — for
   * instance because GitHub no longer knows it: a runner launched for it serves nobody.
   */
  readonly served: boolean;
  /** Where its runner is registered (scopeKey: the repository, or the organization). */
  readonly scope: string;
}

/** A job tornade still has queued and means to launch for: a runner with the same labels may yet serve it. */
export interface QueuedJob {
  readonly id: number;
  readonly labels: readonly string[];
}

/** A runner registration as GitHub lists it. */
export interface RegisteredRunner {
  readonly id: number;
  readonly name: string;
  readonly status: "online" | "offline";
  readonly busy: boolean;
}

/** What the reaper knows in a round. Each map holds what was looked up so far; a missing entry is not yet known. */
export interface RunnerFacts {
  /** Launches that hold a runner (launched or running). */
  readonly held: readonly HeldRunner[];
  readonly queued: readonly QueuedJob[];
  /** Scopes where abandoned registrations are looked for (recently active repositories), besides those of `held`. */
  readonly watched: readonly string[];
  /** Jobs by id; null: not stored. */
  readonly jobs: ReadonlyMap<number, RunnerJob | null>;
  /** GitHub's runner listing of each scope. */
  readonly listings: ReadonlyMap<string, readonly RegisteredRunner[]>;
  /** Runners looked up by name, having been missing from their scope's listing; null: GitHub has none by that name. */
  readonly found: ReadonlyMap<string, RegisteredRunner | null>;
  /** Jobs GitHub was asked about this round (`jobs` holds what it said). */
  readonly asked: ReadonlySet<number>;
  /** For registrations named like tornade's runners and not in `held`: whether a live launch stands behind the name. */
  readonly launchLive: ReadonlyMap<string, boolean>;
}

/** A fact the decision needs first. */
export type Look =
  | { readonly kind: "load-job"; readonly jobId: number }
  | { readonly kind: "list-runners"; readonly scope: string }
  /** Missing from a listing is not gone: GitHub pages by offset, so a runner is skipped when others leave meanwhile. */
  | { readonly kind: "find-runner"; readonly scope: string; readonly name: string }
  /** One GET of the job, its answer recorded as a webhook's would be (and a job GitHub does not know filed as such). */
  | { readonly kind: "ask-about-job"; readonly jobId: number }
  | { readonly kind: "load-launch"; readonly jobId: number; readonly attempt: number; readonly runnerName: string };

export type LeaveWhy =
  /** Not yet idle past the timeout since launch. */
  | "starting"
  /** Runs another job (a sibling's, or one tornade refuses); exits when done. */
  | "taken"
  /** No stored job: nothing to judge by. */
  | "job-unknown"
  /** Runs (or ran) its own job, or still waits for it: exits by itself. */
  | "own-job"
  /** Its job is still queued as far as tornade and GitHub know (or the runner is not up and idle to be sure). */
  | "job-queued"
  /** A queued job has its labels: GitHub may hand it that job. */
  | "needed"
  /** GitHub says it is running a job. */
  | "busy";

export type RunnerAction =
  /**
   * Deregister the runner (when registered), then stop its task or build and record the launch stopped as idle — or,
   * with `forJob` (a handed-off standby that never came online while its job waits), leave the row to the tracker,
   * which records the stop and wakes the job for its next runner.
   */
  | { readonly kind: "release"; readonly launchId: string; readonly jobId: number; readonly scope: string; readonly runner: RegisteredRunner | null; readonly forJob?: true }
  /** Remove a registration no live launch stands behind. */
  | { readonly kind: "deregister"; readonly scope: string; readonly runner: RegisteredRunner }
  | { readonly kind: "leave"; readonly launchId: string; readonly why: LeaveWhy };

export interface RunnerPlan {
  /** Facts to look up before deciding the rest; the actions are final only once this is empty. */
  readonly looks: readonly Look[];
  readonly actions: readonly RunnerAction[];
  /** The earliest moment a runner still starting passes the idle timeout (when a round could find work); null: none. */
  readonly idleFrom: number | null;
}

/** The scope key of a repository's runners, or of an organization's. */
export function scopeKey(scope: "repo" | "org", owner: string, repo: string): string {
  return scope === "org" ? `org:${owner.toLowerCase()}` : `repo:${owner.toLowerCase()}/${repo.toLowerCase()}`;
}

/** GitHub compares labels case-insensitively and in any order. */
export function labelSetKey(labels: readonly string[]): string {
  return labels.map((l) => l.toLowerCase()).sort().join("\n");
}

export function classifyRunners(facts: RunnerFacts, now: number, policy: RunnerPolicy): RunnerPlan {
  const looks = new Looks();
  const actions: RunnerAction[] = [];
  let idleFrom: number | null = null;
  const queuedByLabels = new Map<string, number[]>();
  for (const q of facts.queued) {
    const key = labelSetKey(q.labels);
    queuedByLabels.set(key, [...(queuedByLabels.get(key) ?? []), q.id]);
  }
  const heldNames = new Set(facts.held.map((h) => h.runnerName));
  const listed = (scope: string, name: string): RegisteredRunner | undefined | "unlisted" => {
    const listing = facts.listings.get(scope);
    if (!listing) {
      looks.add({ kind: "list-runners", scope });
      return "unlisted";
    }
    return listing.find((r) => r.name === name);
  };

  for (const h of facts.held) {
    const leave = (why: LeaveWhy) => actions.push({ kind: "leave", launchId: h.launchId, why });
    if (h.launchedAt === null || now - h.launchedAt < policy.idleTimeoutMs) {
      if (h.launchedAt !== null && !h.taken) idleFrom = Math.min(idleFrom ?? Infinity, h.launchedAt + policy.idleTimeoutMs);
      leave("starting");
      continue;
    }
    if (h.taken) {
      leave("taken");
      continue;
    }
    const job = facts.jobs.get(h.jobId);
    if (job === undefined) {
      looks.add({ kind: "load-job", jobId: h.jobId });
      continue;
    }
    if (job === null) {
      leave("job-unknown");
      continue;
    }
    // A runner that ran its own job exits by itself: never idle, even while the tracker has not yet seen its task stop.
    if (job.runnerName === h.runnerName) {
      leave("own-job");
      continue;
    }
    // Otherwise its job may have run on another runner, been cancelled before any, or be one tornade no longer serves.
    const ranElsewhere = job.status === "completed" || job.status === "in_progress";
    if (job.served && !ranElsewhere) {
      if (job.status !== "queued" || job.runnerName !== null) leave("own-job");
      else if (facts.asked.has(job.id)) leave("job-queued");
      else {
        const runner = listed(job.scope, h.runnerName);
        if (runner === "unlisted") continue;
        // Up and idle long after launch while its job waits: GitHub would have handed it the job by now.
        // Not a scale set's: GitHub's REST API knows it by another id (404 would ignore a live job); its messages bring
        // its state, and its runner takes it when the service assigns it again (found by the scale-set chaos run).
        if (runner?.status === "online" && !runner.busy) {
          if (isScaleSetJob(job.id)) leave("job-queued");
          else looks.add({ kind: "ask-about-job", jobId: job.id });
        } else if (h.handoff && runner?.status !== "online") {
          // A handed-off standby was up before its config was written: offline (or unregistered) this long after, it
          // never got the config. Missing from a listing is not gone: looked up by name first.
          const seen = runner ?? facts.found.get(h.runnerName);
          if (seen === undefined) looks.add({ kind: "find-runner", scope: job.scope, name: h.runnerName });
          else if (seen?.busy) leave("busy");
          else actions.push({ kind: "release", launchId: h.launchId, jobId: job.id, scope: job.scope, runner: seen, forJob: true });
        } else leave("job-queued");
      }
      continue;
    }
    if ((queuedByLabels.get(labelSetKey(job.labels)) ?? []).some((id) => id !== job.id)) {
      leave("needed");
      continue;
    }
    const runner = listed(job.scope, h.runnerName);
    if (runner === "unlisted") continue;
    const seen = runner ?? facts.found.get(h.runnerName);
    if (seen === undefined) {
      looks.add({ kind: "find-runner", scope: job.scope, name: h.runnerName });
      continue;
    }
    if (seen?.busy) leave("busy");
    else actions.push({ kind: "release", launchId: h.launchId, jobId: job.id, scope: job.scope, runner: seen });
  }

  // Abandoned registrations, in every scope listed this round and in the watched ones.
  for (const scope of facts.watched) if (!facts.listings.has(scope)) looks.add({ kind: "list-runners", scope });
  for (const [scope, runners] of facts.listings) {
    for (const r of runners) {
      const ours = parseRunnerName(r.name);
      if (!ours || r.status !== "offline" || r.busy || heldNames.has(r.name)) continue;
      const live = facts.launchLive.get(r.name);
      if (live === undefined) looks.add({ kind: "load-launch", jobId: ours.jobId, attempt: ours.attempt, runnerName: r.name });
      else if (!live) actions.push({ kind: "deregister", scope, runner: r });
    }
  }
  return { looks: looks.all(), actions, idleFrom };
}

/** Looks asked for in one pass, each once. */
class Looks {
  private readonly byKey = new Map<string, Look>();
  add(look: Look): void {
    const key = JSON.stringify(look);
    if (!this.byKey.has(key)) this.byKey.set(key, look);
  }
  all(): Look[] {
    return [...this.byKey.values()];
  }
}

/** Whether a plan leaves runners in doubt: a later round may well release them, so it should come soon. */
export function runnersInDoubt(plan: RunnerPlan): boolean {
  return plan.actions.some((a) => a.kind !== "leave" || a.why === "needed" || a.why === "job-queued" || a.why === "busy");
}
