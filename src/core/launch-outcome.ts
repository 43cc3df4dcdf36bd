/**
 * What became of a launch's runner, when tornade knows more than "it stopped": a typed field of the launch row
 * (store LaunchRecord.outcome), never a value of its error. A launch that did not start has an error instead
 * (types.ts LaunchFailure). Pure types and helpers: no I/O.
 */

/** Why tornade refuses the job that took a runner: a policy violation (docs/security.md, "Scope"). */
export interface Refusal {
  /** "owner/repo" of the job that took the runner. */
  readonly repository: string;
  readonly reason: string;
}

/** The reasons tornade stops a runner itself. */
export const TORNADE_STOPS = ["boot-timeout", "cancelled", "idle"] as const;
export type TornadeStop = (typeof TORNADE_STOPS)[number];

export type RunnerOutcome =
  /**
   * GitHub gave the runner to another job than the one it was launched for: it runs that job, not ours. GitHub gives
   * a job any idle runner whose labels cover the job's, so the taker is an identical sibling in the same run — or,
   * when `refused` is set, a job tornade refuses (a repository outside the allow-list, a job without the launch label).
   * Whether the runner was then lost to a Spot interruption is the row's `spotInterrupted`.
   */
  | { readonly kind: "taken"; readonly jobId: number; readonly refused: Refusal | null }
  /**
   * AWS stopped the runner's FARGATE_SPOT task for a Spot interruption, and no other job was seen on it. `checked`
   * once GitHub was asked which job it was running and it was none but the launch's own (or none).
   */
  | { readonly kind: "spot-interrupted"; readonly checked: boolean; readonly reason: string }
  /** The runner's task or build ended in failure; `reason` is AWS's words. */
  | { readonly kind: "runner-failed"; readonly reason: string }
  /**
   * tornade stopped it: not running by the boot timeout, its job cancelled before it started, or idle after its job
   * ran elsewhere.
   */
  | { readonly kind: TornadeStop; readonly reason: string };

/** Whether a launch's runner went to another job (a sibling's, or one tornade refuses): it runs that job, not ours. */
export function isTaken(outcome: RunnerOutcome | null | undefined): outcome is Extract<RunnerOutcome, { kind: "taken" }> {
  return outcome?.kind === "taken";
}

/** The identical sibling that took a launch's runner: the chain a robbed job follows to a spare. */
export function takenBySibling(outcome: RunnerOutcome | null | undefined): number | undefined {
  return outcome?.kind === "taken" && outcome.refused === null ? outcome.jobId : undefined;
}

/** A job tornade refuses took the runner: a policy violation. */
export function isPolicyViolation(outcome: RunnerOutcome | null | undefined): boolean {
  return outcome?.kind === "taken" && outcome.refused !== null;
}

/**
 * The outcome in words, for the dashboard and reasons given to people: `label` is the short name operators read in
 * events and logs, `message` the sentence.
 */
export function describeOutcome(outcome: RunnerOutcome): { readonly label: string; readonly message: string } {
  switch (outcome.kind) {
    case "taken":
      return outcome.refused === null
        ? { label: "taken-by-sibling", message: `its runner took job ${outcome.jobId}, an identical sibling` }
        : {
            label: "taken-by-refused-job",
            message: `its runner was taken by job ${outcome.jobId} of ${outcome.refused.repository}, which this tornade refuses: ${outcome.refused.reason}`,
          };
    case "spot-interrupted":
      return { label: outcome.checked ? "spot-interrupted-checked" : "spot-interrupted", message: outcome.reason };
    default:
      return { label: outcome.kind, message: outcome.reason };
  }
}
