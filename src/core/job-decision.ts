/**
 * What tornade decided about a job from its labels and the policy (core/decision.ts decideDelivery), stored with the
 * job and read by reconcile, the dashboard and `tornade explain`. One type for all of them. Pure: no I/O.
 */
import type { LaunchSpec } from "./types.js";

export type JobDecision =
  | {
      readonly kind: "launch";
      readonly spec: LaunchSpec;
      /** Set once tornade asked GitHub to re-run the job after a Spot interruption: a job is re-run at most once. */
      readonly rerun?: "requested";
      /** The job's commit, for a check run should tornade give up on it. */
      readonly headSha?: string;
      /**
       * The runner scale set the job came from (docs/scale-sets.md): its runner registers through the scale set
       * (generatejitconfig) with the scale set's labels, and GitHub is asked nothing about it by its REST job id.
       */
      readonly scaleSet?: string;
    }
  /** Served by the always-on pool (`type=static`): no per-job launch. */
  | { readonly kind: "static"; readonly reason: string }
  /** Not tornade's job (no launch label, a repository it does not serve, an action that asks for nothing). */
  | { readonly kind: "ignored"; readonly reason: string }
  /**
   * tornade will not serve it (bad labels, a public repository): `reason` says why in one line; `problems`, when there
   * are several, lists each on its own (the reason joins them), so a check run can list them.
   */
  | ({ readonly kind: "rejected"; readonly reason: string; readonly problems?: readonly string[] } & Reportable)
  /** Launching was tried and given up (a permanent error, or too many attempts): the reason is shown to people. */
  | ({ readonly kind: "failed"; readonly reason: string; readonly spec: LaunchSpec } & Reportable);

export type JobDecisionKind = JobDecision["kind"];

/** A job tornade will not serve is told so on GitHub: a check run on its commit. */
export interface Reportable {
  /** The job's commit, where the check run goes. */
  readonly headSha?: string;
  /** Set once reported: "check-run" (done) or "not-permitted" (the App may not write checks; the log says so). */
  readonly reported?: "check-run" | "not-permitted";
}
