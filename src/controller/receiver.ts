/**
 * Webhook intake: turns one verified delivery into a durable record and a queued "look at job N again".
 * Nothing is launched here; the answer goes back to GitHub as soon as the write has committed.
 */
import type { Clock } from "../clock/clock.js";
import { LAUNCH_ACTION, PayloadError, decideDelivery, parseWorkflowJobDelivery, type DeliveryPolicy, type WorkflowJobDelivery } from "../core/decision.js";
import type { JobDecision } from "../core/job-decision.js";
import { advanceJob, jobStatusOf } from "../core/job-status.js";
import { isTaken, type RunnerOutcome } from "../core/launch-outcome.js";
import type { Logger } from "../log/logger.js";
import type { WebhookAnswer, WebhookDelivery, WebhookReceiver } from "../server/app.js";
import type { Intake } from "../store/intake.js";
import type { EnqueueItem } from "../queue/queue.js";
import { VersionConflict, launchId, type NewJob, type Store } from "../store/store.js";
import { parseRunnerName } from "../core/reconcile.js";
import { reconcileItem } from "./work-items.js";
import type { ControllerObserver } from "./observer.js";
import { waiterOn } from "./spares.js";

export interface ReceiverDeps {
  readonly intake: Intake;
  /** Launches whose runner another job took, and the jobs waiting on them. */
  readonly store: Pick<Store, "getLaunch" | "updateLaunch" | "getJob">;
  readonly policy: DeliveryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: ControllerObserver;
  /** Called after a delivery was taken in, so idle workers look at the queue at once. */
  readonly wake?: () => void;
  /** Called when a `type=static` job is queued or starts: the static pool should top up now, not at its next round. */
  readonly staticJobMoved?: () => void;
}

export function createReceiver(deps: ReceiverDeps): WebhookReceiver {
  return {
    async receive(d: WebhookDelivery): Promise<WebhookAnswer> {
      const { observer } = deps;
      if (d.event === "ping") {
        observer.webhook("ignored");
        return { status: 200, body: { ok: true } };
      }
      if (d.event !== "workflow_job") {
        observer.webhook("ignored");
        return { status: 202, body: { ignored: `event ${d.event}` } };
      }

      let delivery: WorkflowJobDelivery;
      try {
        delivery = parseWorkflowJobDelivery(d.payload);
      } catch (e) {
        if (!(e instanceof PayloadError)) throw e;
        deps.logger.warn({ delivery: d.guid, error: e.message }, "webhook rejected");
        observer.webhook("invalid");
        return { status: 400, body: { error: e.message } };
      }
      const job = delivery.workflow_job;
      // What the labels call for, whatever this delivery's action: a job first seen through a late `in_progress`
      // still has its decision on record when its `queued` arrives.
      const decision = decideDelivery({ ...delivery, action: LAUNCH_ACTION }, deps.policy);
      const seen = { status: jobStatusOf(job.status), conclusion: job.conclusion, runnerName: job.runner_name, startedAt: startedAtOf(job) };
      const now = deps.clock.now();

      // The runner named here was launched for another job (an identical sibling's, or — a policy violation — any
      // job's, taken by one tornade refuses): that job needs another runner.
      const taker = { jobId: job.id, repository: delivery.repository.full_name, refusal: decision.kind === "launch" ? null : decision.reason };
      const taking = seen.status === "in_progress" ? await markTaken(deps.store, taker, job.runner_name) : null;
      const robbed = taking?.robbed ?? null;
      if (taking?.violation) {
        deps.logger.warn(
          { jobId: job.id, repository: taker.repository, runnerName: job.runner_name, launchedFor: robbed, reason: taker.refusal, delivery: d.guid },
          "policy violation: a job tornade refuses took a runner launched for another job",
        );
        observer.policyViolation({ kind: "runner-taken" });
      }
      // That runner may have been the spare another robbed job was waiting for: it looks again now.
      const waiter = robbed === null ? undefined : await waiterOn(deps.store, robbed);
      const looks = [...(robbed === null ? [] : [reconcileItem(robbed)]), ...(waiter === undefined || waiter === job.id ? [] : [reconcileItem(waiter)])];

      if (decision.kind === "ignored") return foreign(deps, d, delivery, decision.reason, looks);
      const result = await deps.intake.apply({
        delivery: { guid: d.guid, event: d.event, action: delivery.action, jobId: job.id, receivedAt: now },
        job: { create: newJob(delivery, decision, seen, now), update: (current) => advanceJob(current, seen) },
        // Jobs tornade serves need a look, and so do rejected ones (a check run tells GitHub why); static ones are
        // kept on record with their reason.
        enqueue: [...(decision.kind === "launch" || decision.kind === "rejected" ? [reconcileItem(job.id)] : []), ...looks],
      });
      if (result.delivery === "duplicate") {
        deps.logger.info({ jobId: job.id, delivery: d.guid }, "duplicate delivery dropped");
        observer.webhook("duplicate");
        return { status: 200, body: { duplicate: true } };
      }
      if (result.enqueued > 0) deps.wake?.();
      if (decision.kind === "static" && (seen.status === "queued" || seen.status === "in_progress")) deps.staticJobMoved?.();
      observer.webhook("accepted");
      if (result.job === "created") observer.jobDecided(decision.kind);
      if (result.job !== "none" && seen.status === "in_progress") {
        const created = job.created_at ? Date.parse(job.created_at) : NaN;
        const started = seen.startedAt ?? now;
        if (Number.isFinite(created)) observer.jobStarted({ queueSeconds: Math.max(0, (started - created) / 1000) });
      }
      logDecision(deps.logger, delivery, d.guid, decision, result.job);
      return { status: 202, body: { job: job.id, decision: decision.kind, stored: result.job } };
    },
  };
}

/** The job a runner was seen running, and why tornade refuses that job (null when tornade would launch for it). */
interface Taker {
  readonly jobId: number;
  readonly repository: string;
  readonly refusal: string | null;
}

/**
 * A job that is not tornade's (no launch label, GitHub-hosted labels, a repository it does not serve): counted, never
 * stored — its repository, name and labels are nobody's business here. Only when it took one of tornade's runners is
 * something written: the delivery's GUID (no job) and the looks that follow from the taking, in one intake.
 */
async function foreign(
  deps: ReceiverDeps,
  d: WebhookDelivery,
  delivery: WorkflowJobDelivery,
  reason: string,
  looks: readonly EnqueueItem[],
): Promise<WebhookAnswer> {
  const job = delivery.workflow_job;
  deps.observer.webhook("foreign");
  const answer: WebhookAnswer = { status: 200, body: { job: job.id, decision: "ignored", stored: "none" } };
  deps.logger.debug({ jobId: job.id, delivery: d.guid, action: delivery.action, reason }, "not tornade's job: counted, not stored");
  if (looks.length === 0) return answer;
  const result = await deps.intake.apply({
    delivery: { guid: d.guid, event: d.event, action: delivery.action, jobId: null, receivedAt: deps.clock.now() },
    enqueue: looks,
  });
  if (result.enqueued > 0) deps.wake?.();
  deps.logger.info({ jobId: job.id, delivery: d.guid, runner: job.runner_name }, "a job that is not tornade's took a tornade runner");
  return answer;
}

/**
 * When the taker started on a runner tornade launched for another job, marks that launch as taken — by a sibling, or,
 * when tornade refuses the taker, as a policy violation — before the intake commits, so the look it enqueues sees the
 * mark. Returns the other job's id, and `violation` only for the delivery that made a violation's mark (a duplicate
 * or a redelivery is not counted twice). Idempotent.
 */
async function markTaken(
  store: Pick<Store, "getLaunch" | "updateLaunch">,
  taker: Taker,
  runner: string | null,
): Promise<{ robbed: number; violation: boolean } | null> {
  const ours = parseRunnerName(runner);
  if (!ours || ours.jobId === taker.jobId) return null;
  const id = launchId(ours.jobId, ours.attempt);
  const refused = taker.refusal === null ? null : { repository: taker.repository, reason: taker.refusal };
  const outcome: RunnerOutcome = { kind: "taken", jobId: taker.jobId, refused };
  for (let i = 0; i < 3; i++) {
    const launch = await store.getLaunch(id);
    if (!launch) return null;
    if (isTaken(launch.outcome)) return { robbed: ours.jobId, violation: false };
    try {
      await store.updateLaunch(id, launch.version, { outcome });
      return { robbed: ours.jobId, violation: refused !== null };
    } catch (e) {
      if (!(e instanceof VersionConflict)) throw e;
    }
  }
  return { robbed: ours.jobId, violation: false };
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

function logDecision(logger: Logger, p: WorkflowJobDelivery, guid: string, decision: JobDecision, stored: string): void {
  const base = { jobId: p.workflow_job.id, runId: p.workflow_job.run_id, repository: p.repository.full_name, delivery: guid, action: p.action, stored };
  if (decision.kind === "rejected") logger.warn({ ...base, reason: decision.reason }, "job rejected");
  else if (decision.kind === "launch") logger.info({ ...base, backend: decision.spec.backend, arch: decision.spec.arch }, "job taken in");
  else logger.info({ ...base, decision: decision.kind, reason: decision.reason }, "job not launched");
}
