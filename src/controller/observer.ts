/**
 * What the controller tells the outside world about what it does: metrics (/metrics), and anything else that wants to
 * count. The controller calls these; it never depends on how they are recorded. Every method must be cheap and must
 * not throw.
 */
import type { Arch, Backend } from "../core/types.js";

/**
 * `foreign`: a workflow_job that is not tornade's (no launch label, or a repository it does not serve) — counted,
 * never stored. `aborted`: the client went away before its body arrived.
 */
export type WebhookOutcome = "accepted" | "duplicate" | "ignored" | "foreign" | "invalid" | "unauthorized" | "too-large" | "aborted";

export interface ControllerObserver {
  /** One webhook request, by what became of it. */
  webhook(outcome: WebhookOutcome): void;
  /** A job first taken in, by its decision (launch, static, ignored, rejected). */
  jobDecided(kind: string): void;
  /** One launch attempt's end: `latencyMs` from the job's arrival to the provider's answer. */
  launch(e: { backend: Backend; arch: Arch; outcome: "launched" | "failed"; errorKind?: string; latencyMs: number }): void;
  /** A launch that replaces a failed one on another backend (FARGATE_SPOT capacity → FARGATE). */
  fallback(e: { from: Backend; to: Backend }): void;
  /** A runner's task or build ended. */
  runnerStopped(e: { backend: Backend; arch: Arch; succeeded: boolean; spotInterrupted: boolean }): void;
  /**
   * A job's runner start reached its provider: handed to a standby of its shape (`warm`), or its own task or build
   * (cold). `shape` is core/standby.ts standbyShapeKey of the job's launch spec. Hit rate = warm / all.
   */
  jobRunnerStarted(e: { shape: string; warm: boolean }): void;
  /** A job began on a runner: seconds from GitHub queueing it to it starting. */
  jobStarted(e: { queueSeconds: number }): void;
  /** tornade gave up on a job (a permanent error or too many attempts). */
  gaveUp(e: { reason: string }): void;
  /**
   * tornade asked GitHub to re-run a job (e.g. its runner was lost to a Spot interruption). `reason` is a short kind
   * ("spot-interrupted", "runner-lost", ...), not free text: it becomes a metric label.
   */
  rerun(e: { reason: string }): void;
  /**
   * Something happened that tornade's policy forbids and could not prevent: "runner-taken" — a job tornade refuses
   * (a repository outside the allow-list, no launch label) took a runner launched for another job (docs/security.md,
   * "Scope").
   */
  policyViolation(e: { kind: "runner-taken" }): void;
}

export const noopObserver: ControllerObserver = {
  webhook() {},
  jobDecided() {},
  launch() {},
  fallback() {},
  runnerStopped() {},
  jobRunnerStarted() {},
  jobStarted() {},
  gaveUp() {},
  rerun() {},
  policyViolation() {},
};
