/**
 * What the controller's one intake takes in and answers (take-in.ts `createTakeIn` does it): the observations — a
 * webhook delivery, a job looked up on GitHub, a runner's new state, a scale set's job messages — and the typed outcome
 * of each, which the HTTP app maps to status codes (server/app.ts).
 */
import type { JobDecision } from "../core/job-decision.js";
import type { LaunchSpec } from "../core/types.js";
import type { JobMessage } from "../github/scaleset/index.js";
import type { WorkflowJob, WorkflowRun } from "../github/github-port.js";
import type { LaunchState } from "../providers/provider.js";

/** A webhook delivery, its signature verified: what GitHub sent, not yet read. */
export interface WebhookObservation {
  readonly kind: "webhook";
  /** X-GitHub-Event */
  readonly event: string;
  /** X-GitHub-Delivery: GitHub keeps it on redelivery, so it is the dedupe key. */
  readonly guid: string;
  /** The parsed JSON body; takeIn validates its shape. */
  readonly payload: unknown;
}

/**
 * A job as GitHub's REST API describes it, when its webhook was lost: found by the sweeper, or found on a runner
 * launched for another job (a Spot-interrupted one, or one that ended without taking its own job).
 */
export interface JobLookUp {
  readonly kind: "look-up";
  readonly source: "sweeper" | "runner";
  readonly job: WorkflowJob;
  readonly run: WorkflowRun;
  readonly installationId: number;
}

/** A runner's task or build changed state (an EventBridge event, mapped by its provider). */
export interface RunnerObservation {
  readonly kind: "runner";
  readonly state: LaunchState;
}

/**
 * The job messages of one message of a runner scale set's session (docs/scale-sets.md), taken in before the message
 * is acknowledged. Each job the scale set has (assigned, started, completed) is stored under its scaleSetJobId with a
 * launch decision for the scale set's runner; offered jobs (JobAvailable) are not the scale set's yet and store nothing.
 */
export interface ScaleSetObservation {
  readonly kind: "scale-set";
  readonly scaleSet: ScaleSetIntake;
  readonly jobs: readonly JobMessage[];
}

/** What takeIn needs to know of a configured scale set. */
export interface ScaleSetIntake {
  readonly name: string;
  /** The runner every job of the scale set gets: resolved from its configured shape (controller/scale-set-setup.ts). */
  readonly spec: LaunchSpec;
  /** The App's installation on the scale set's owner (0 with a personal token). */
  readonly installationId: number;
}

export type Observation = WebhookObservation | JobLookUp | RunnerObservation | ScaleSetObservation;

/** What became of a job observation. */
export type JobOutcome =
  /** Stored (decision launch, static or rejected), its look enqueued. */
  | { readonly kind: "taken-in"; readonly jobId: number; readonly decision: JobDecision["kind"]; readonly stored: "created" | "updated" | "unchanged" }
  /** This delivery was taken in before: nothing done. */
  | { readonly kind: "duplicate" }
  /** Not tornade's job (no launch label, a repository it does not serve): counted, never stored. */
  | { readonly kind: "foreign"; readonly jobId: number };

export type DeliveryOutcome =
  | JobOutcome
  | { readonly kind: "ping" }
  /** An event tornade does not act on. */
  | { readonly kind: "other-event"; readonly event: string }
  /** Not a `workflow_job` body tornade can read; `error` says which fields are wrong. */
  | { readonly kind: "invalid"; readonly error: string };

export type RunnerStateOutcome =
  | { readonly kind: "runner-updated"; readonly jobId: number }
  | { readonly kind: "runner-unchanged"; readonly jobId?: number }
  /** A task or build tornade did not start (or whose launch row is gone). */
  | { readonly kind: "not-ours" };

/** What became of each job message of a scale set's message, in order (JobAvailable: "offered", nothing stored). */
export interface ScaleSetOutcome {
  readonly kind: "scale-set";
  readonly jobs: readonly (JobOutcome | { readonly kind: "offered"; readonly runnerRequestId: number })[];
}

export type IntakeOutcome = DeliveryOutcome | RunnerStateOutcome | ScaleSetOutcome;

/** Takes one observation in. Answers only after what it decided is durably stored. */
export interface TakeIn {
  (o: WebhookObservation): Promise<DeliveryOutcome>;
  (o: JobLookUp): Promise<JobOutcome>;
  (o: RunnerObservation): Promise<RunnerStateOutcome>;
  (o: ScaleSetObservation): Promise<ScaleSetOutcome>;
  (o: Observation): Promise<IntakeOutcome>;
}
