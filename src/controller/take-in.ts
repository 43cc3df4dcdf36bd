/**
 * The controller's one intake: `takeIn(observation)`. Whatever tornade learns — a webhook delivery (a redelivery is
 * one too: GitHub sends it again with its GUID), a job the sweeper found or the reconciler looked up on GitHub, a
 * runner's state from EventBridge — comes in here, typed, and leaves a typed outcome; the HTTP app maps outcomes to
 * status codes (server/app.ts). Nothing is launched here.
 *
 * A job observation is stored, with its "look at job N", in ONE intake write (store/intake.ts), and nothing else is
 * read or written before it: what follows from the job — a runner of another job it took, the re-run target it
 * inherits, the spare a robbed job waits for — is derived by the reconciler from stored rows.
 */
import type { Clock } from "../clock/clock.js";
import { LAUNCH_ACTION, PayloadError, decideDelivery, parseWorkflowJobDelivery, type DeliveryPolicy, type WorkflowJobDelivery } from "../core/decision.js";
import type { JobDecision } from "../core/job-decision.js";
import { advanceJob, jobStatusOf } from "../core/job-status.js";
import { parseRunnerName, type ReconcilePolicy } from "../core/reconcile.js";
import { isScaleSetJob, scaleSetJobId, scaleSetJobStatus } from "../core/scale-set.js";
import type { JobMessage } from "../github/scaleset/index.js";
import type { Logger } from "../log/logger.js";
import type { LaunchState } from "../providers/provider.js";
import type {
  DeliveryOutcome,
  IntakeOutcome,
  JobLookUp,
  JobOutcome,
  Observation,
  RunnerObservation,
  RunnerStateOutcome,
  ScaleSetObservation,
  ScaleSetOutcome,
  TakeIn,
  WebhookObservation,
} from "./observations.js";
import type { EnqueueItem } from "../queue/queue.js";
import type { Intake } from "../store/intake.js";
import { VersionConflict, type NewJob, type Store } from "../store/store.js";
import type { ControllerObserver } from "./observer.js";
import { lookAfter, recordRunnerState } from "./tracker.js";
import { idleLook, reconcileItem, takenItem, type Taking } from "./work-items.js";

export interface TakeInDeps {
  readonly intake: Intake;
  /** Runner observations find their launch row (and update it through `intake`). */
  readonly store: Pick<Store, "findLaunchByProviderId">;
  readonly policy: DeliveryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: ControllerObserver;
  /** Called after something was enqueued, so idle workers look at the queue at once. */
  readonly wake?: () => void;
  /** Called when a `type=static` job is queued or starts: the static pool should top up now, not at its next round. */
  readonly staticJobMoved?: () => void;
  /**
   * When given, a look that would find nothing to do at the rows a write leaves is not enqueued (work-items.ts
   * idleLook): a job started or finished on its own runner, its runner stopped after it finished.
   */
  readonly reconcilePolicy?: ReconcilePolicy;
}

export function createTakeIn(deps: TakeInDeps): TakeIn {
  function takeIn(o: WebhookObservation): Promise<DeliveryOutcome>;
  function takeIn(o: JobLookUp): Promise<JobOutcome>;
  function takeIn(o: RunnerObservation): Promise<RunnerStateOutcome>;
  function takeIn(o: ScaleSetObservation): Promise<ScaleSetOutcome>;
  function takeIn(o: Observation): Promise<IntakeOutcome>;
  async function takeIn(o: Observation): Promise<IntakeOutcome> {
    switch (o.kind) {
      case "webhook":
        return takeInDelivery(deps, o);
      case "look-up":
        return takeInJob(deps, fromLookUp(o), null, `look-up:${o.source}`);
      case "runner":
        return takeInRunnerState(deps, o.state);
      case "scale-set":
        return takeInScaleSet(deps, o);
    }
  }
  return takeIn;
}

async function takeInDelivery(deps: TakeInDeps, d: WebhookObservation): Promise<DeliveryOutcome> {
  const { observer } = deps;
  if (d.event === "ping") {
    observer.webhook("ignored");
    return { kind: "ping" };
  }
  if (d.event !== "workflow_job") {
    observer.webhook("ignored");
    return { kind: "other-event", event: d.event };
  }
  let delivery: WorkflowJobDelivery;
  try {
    delivery = parseWorkflowJobDelivery(d.payload);
  } catch (e) {
    if (!(e instanceof PayloadError)) throw e;
    deps.logger.warn({ delivery: d.guid, error: e.message }, "webhook rejected");
    observer.webhook("invalid");
    return { kind: "invalid", error: e.message };
  }
  const outcome = await takeInJob(deps, delivery, { guid: d.guid, event: d.event }, d.guid);
  observer.webhook(outcome.kind === "taken-in" ? "accepted" : outcome.kind);
  return outcome;
}

/**
 * One job as seen now, from a webhook (`from`: its delivery, recorded for dedupe) or GitHub's API (no delivery).
 * `via` names where it came from in the log.
 */
async function takeInJob(
  deps: TakeInDeps,
  delivery: WorkflowJobDelivery,
  from: { guid: string; event: string } | null,
  via: string,
  decided?: JobDecision,
): Promise<JobOutcome> {
  const job = delivery.workflow_job;
  // What the labels call for, whatever this delivery's action: a job first seen through a late `in_progress`
  // still has its decision on record when its `queued` arrives. A scale set's job has its scale set's (`decided`).
  const decision = decided ?? decideDelivery({ ...delivery, action: LAUNCH_ACTION }, deps.policy);
  const seen = { status: jobStatusOf(job.status), conclusion: job.conclusion, runnerName: job.runner_name, startedAt: startedAtOf(job) };
  const now = deps.clock.now();
  const record = from === null ? {} : { delivery: { guid: from.guid, event: from.event, action: delivery.action, jobId: decision.kind === "ignored" ? null : job.id, receivedAt: now } };
  // Started on a runner tornade launched for another job (an identical sibling's, or — a policy violation — any
  // job's, taken by one tornade refuses): that job needs another runner. Only observed here; the reconciler marks it.
  const taking = seen.status === "in_progress" ? takingSeen(delivery, decision) : null;
  const looks: EnqueueItem[] = taking ? [takenItem(taking)] : [];

  if (decision.kind === "ignored") {
    // Not tornade's: counted, never stored — its repository, name and labels are nobody's business here. Only when it
    // took one of tornade's runners is something written: the delivery's GUID and the taking, in one intake.
    deps.logger.debug({ jobId: job.id, via, action: delivery.action, reason: decision.reason }, "not tornade's job: counted, not stored");
    if (looks.length === 0) return { kind: "foreign", jobId: job.id };
    await deps.intake.apply({ ...record, enqueue: looks, ...woken(deps) });
    deps.logger.info({ jobId: job.id, via, runner: job.runner_name }, "a job that is not tornade's took a tornade runner");
    return { kind: "foreign", jobId: job.id };
  }

  // Jobs tornade serves need a look, and so do rejected ones (a check run tells GitHub why); static ones are kept on
  // record with their reason. A webhook asks for it only when it moved the job: one that changes nothing (a state
  // already recorded, or older than the recorded one: a repeat, a late `queued`) has its look already, enqueued with
  // that change in the same write, and another would find nothing to do. What tornade looked up on GitHub itself (the
  // sweeper, a Spot check) asks for a look whatever it found: those are rare and deliberate. Either way the intake
  // leaves the look out when, at the rows it leaves, `decide` would find nothing to do (idleLook).
  const look = decision.kind === "launch" || decision.kind === "rejected" ? [reconcileItem(job.id)] : [];
  const result = await deps.intake.apply({
    ...record,
    job: { create: newJob(delivery, decision, seen, now), update: (current) => advanceJob(current, seen), ...(from ? { onChange: look } : {}) },
    enqueue: from ? looks : [...look, ...looks],
    ...idleLook(deps, job.id),
    ...woken(deps),
  });
  if (result.delivery === "duplicate") {
    deps.logger.info({ jobId: job.id, via }, "duplicate delivery dropped");
    return { kind: "duplicate" };
  }
  if (decision.kind === "static" && (seen.status === "queued" || seen.status === "in_progress")) deps.staticJobMoved?.();
  if (result.job === "created") deps.observer.jobDecided(decision.kind);
  if (result.job !== "none" && seen.status === "in_progress") {
    const created = job.created_at ? Date.parse(job.created_at) : NaN;
    const started = seen.startedAt ?? now;
    if (Number.isFinite(created)) deps.observer.jobStarted({ queueSeconds: Math.max(0, (started - created) / 1000) });
  }
  logDecision(deps.logger, delivery, via, decision, result.job);
  return { kind: "taken-in", jobId: job.id, decision: decision.kind, stored: result.job === "none" ? "unchanged" : result.job };
}

/** Wakes a worker as soon as the look is committed, not after the disk has it (store/intake.ts `committed`). */
function woken(deps: TakeInDeps): { committed?: () => void } {
  return deps.wake ? { committed: deps.wake } : {};
}

/**
 * A scale set's message, job by job in the order the service sent them (a job's later message never moves it back:
 * advanceJob). Each is its own intake write; the caller acknowledges the message only after all are stored.
 */
async function takeInScaleSet(deps: TakeInDeps, o: ScaleSetObservation): Promise<ScaleSetOutcome> {
  const jobs: ScaleSetOutcome["jobs"][number][] = [];
  const decision: JobDecision = { kind: "launch", spec: o.scaleSet.spec, scaleSet: o.scaleSet.name };
  for (const m of o.jobs) {
    const delivery = fromScaleSetMessage(m, o.scaleSet.installationId);
    if (!delivery) jobs.push({ kind: "offered", runnerRequestId: m.job.runnerRequestId });
    else jobs.push(await takeInJob(deps, delivery, null, `scale-set:${o.scaleSet.name}:${m.type}`, decision));
  }
  return { kind: "scale-set", jobs };
}

/** The runner this job started on, when tornade launched it for another job; why tornade refuses the job, if it does. */
function takingSeen(delivery: WorkflowJobDelivery, decision: JobDecision): Taking | null {
  const job = delivery.workflow_job;
  const ours = parseRunnerName(job.runner_name);
  if (!ours || ours.jobId === job.id || job.runner_name === null) return null;
  // A scale set's runner seen in a webhook: GitHub gives it only its scale set's jobs — the webhook of the very job it
  // was launched for carries the REST id, not the scale set's. Who took it is the scale set's JobStarted's to say.
  if (isScaleSetJob(ours.jobId) && !isScaleSetJob(job.id)) return null;
  const refusal = decision.kind === "launch" ? null : decision.reason;
  return { runnerName: job.runner_name, jobId: job.id, repository: delivery.repository.full_name, refusal };
}

/** A runner's new state on its launch row, and a look at its job when it stopped: as the tracker's round would record it. */
async function takeInRunnerState(deps: TakeInDeps, state: LaunchState): Promise<RunnerStateOutcome> {
  for (let tries = 0; tries < 3; tries++) {
    const launch = await deps.store.findLaunchByProviderId(state.handle.id);
    // Tasks and builds tornade did not start (or whose launch row is gone) share the cluster or the project.
    if (!launch) return { kind: "not-ours" };
    let patch;
    try {
      patch = await recordRunnerState(deps, launch, state);
      if (!patch) return { kind: "runner-unchanged", jobId: launch.jobId };
    } catch (e) {
      if (e instanceof VersionConflict) continue;
      throw e;
    }
    if (lookAfter(patch)) deps.wake?.();
    return { kind: "runner-updated", jobId: launch.jobId };
  }
  // Others kept changing the row; the tracker's next round reads the provider again.
  return { kind: "runner-unchanged" };
}

/**
 * A job GitHub's REST API described, in the shape decideDelivery reads (the fields a `workflow_job` webhook carries
 * about it): the action is the job's status, as GitHub names its actions after them.
 */
function fromLookUp(o: JobLookUp): WorkflowJobDelivery {
  const { job, run } = o;
  const r = run.repository;
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    action: job.status,
    workflow_job: {
      id: job.id,
      run_id: job.runId,
      run_attempt: job.runAttempt,
      name: job.name,
      labels: [...job.labels],
      status: job.status,
      conclusion: job.conclusion,
      created_at: iso(job.createdAt),
      started_at: iso(job.startedAt),
      head_sha: job.headSha,
      runner_name: job.runnerName,
      workflow_name: run.workflowName,
    },
    repository: { id: r.id, name: r.name, full_name: r.fullName, owner: { login: r.ownerLogin }, private: r.private, ...(r.visibility ? { visibility: r.visibility } : {}) },
    ...(o.installationId ? { installation: { id: o.installationId } } : {}),
  };
}

/**
 * A scale set's job message in the shape takeInJob reads, under the job's scaleSetJobId; null for an offer
 * (JobAvailable), which is not the scale set's job yet. The message names no commit and no REST job id.
 */
function fromScaleSetMessage(m: JobMessage, installationId: number): WorkflowJobDelivery | null {
  const seen = scaleSetJobStatus(m.type, m.type === "JobCompleted" ? m.result : undefined);
  if (!seen) return null;
  const j = m.job;
  const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());
  const runner = m.type === "JobStarted" || m.type === "JobCompleted" ? m.runner : null;
  return {
    action: seen.status,
    workflow_job: {
      id: scaleSetJobId(j.runnerRequestId),
      run_id: j.workflowRunId,
      run_attempt: 1,
      name: j.displayName,
      labels: [...j.labels],
      status: seen.status,
      conclusion: seen.conclusion,
      created_at: iso(j.queuedAt),
      started_at: seen.status === "queued" ? null : iso(j.runnerAssignedAt),
      head_sha: "",
      runner_name: runner?.name ?? null,
      workflow_name: null,
    },
    repository: { id: 0, name: j.repository, full_name: `${j.owner}/${j.repository}`, owner: { login: j.owner } },
    ...(installationId ? { installation: { id: installationId } } : {}),
  };
}

/** GitHub's started_at, once the job is on a runner (before that GitHub may send a placeholder or nothing). */
function startedAtOf(j: WorkflowJobDelivery["workflow_job"]): number | null {
  if (j.status !== "in_progress" && j.status !== "completed") return null;
  const t = j.started_at ? Date.parse(j.started_at) : NaN;
  return Number.isFinite(t) ? t : null;
}

function newJob(
  p: WorkflowJobDelivery,
  decision: JobDecision,
  seen: { status: NewJob["status"]; conclusion: string | null; runnerName: string | null; startedAt: number | null },
  now: number,
): NewJob {
  const j = p.workflow_job;
  const created = j.created_at ? Date.parse(j.created_at) : NaN;
  return {
    id: j.id,
    runId: j.run_id,
    runAttempt: j.run_attempt,
    repository: p.repository.full_name,
    owner: p.repository.owner.login,
    repo: p.repository.name,
    installationId: p.installation?.id ?? 0,
    labels: j.labels,
    name: j.name,
    workflowName: j.workflow_name ?? null,
    status: seen.status,
    conclusion: seen.conclusion,
    runnerName: seen.runnerName,
    startedAt: seen.startedAt,
    decision,
    createdAt: Number.isFinite(created) ? created : now,
    receivedAt: now,
  };
}

/**
 * One line per delivery at debug; at info (warn for a rejected job), only a job tornade will not launch for, once, when
 * first stored. A launched job's lines at info are "runner launched" and "runner stopped" (launcher.ts, tracker.ts):
 * every line costs the event loop a formatted object and a write to stdout, and three lines a job of "taken in"
 * (queued, in_progress, completed) told an operator nothing those two do not.
 */
function logDecision(logger: Logger, p: WorkflowJobDelivery, via: string, decision: JobDecision, stored: string): void {
  const level = stored === "created" && decision.kind !== "launch" ? (decision.kind === "rejected" ? "warn" : "info") : "debug";
  if (!logger.isLevelEnabled(level)) return;
  const base = { jobId: p.workflow_job.id, runId: p.workflow_job.run_id, repository: p.repository.full_name, delivery: via, action: p.action, stored };
  if (decision.kind === "rejected") logger[level]({ ...base, reason: decision.reason }, "job rejected");
  else if (decision.kind === "launch") logger[level]({ ...base, backend: decision.spec.backend, arch: decision.spec.arch }, "job taken in");
  else logger[level]({ ...base, decision: decision.kind, reason: decision.reason }, "job not launched");
}
