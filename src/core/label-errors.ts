/** What the label grammar says about a label it cannot honour, and the list it collects them in. Pure values. */
import { quoteLabel } from "./label-limits.js";

/** A label tornade cannot honour. The message names the label and what is allowed, so a person can fix the workflow. */
export class LabelError extends Error {
  override readonly name = "LabelError";
  constructor(
    /** The offending label exactly as the job wrote it; null when the problem is the label list as a whole. */
    readonly label: string | null,
    /** What is allowed instead, as a sentence. */
    readonly allowed: string,
  ) {
    super(label === null ? allowed : `label ${quoteLabel(label)}: ${allowed}`);
  }
}

/** A key=value label as the job wrote it. */
export interface Keyed {
  /** The key, lower-cased. */
  readonly key: string;
  readonly label: string;
  /** As written, trimmed. */
  readonly value: string;
}

/**
 * The problems found in one job's labels, in the order they were found. The grammar reads every label and adds to
 * this rather than stopping at the first, so one verdict names them all.
 */
export class LabelProblems {
  readonly errors: LabelError[] = [];

  /** Records a problem; returns undefined so a parser can `return problems.add(…)` for "no value". */
  add(label: string | null, allowed: string): undefined {
    this.errors.push(new LabelError(label, allowed));
    return undefined;
  }

  /** True when this very label already has a problem (so it is not judged twice). */
  has(label: string): boolean {
    return this.errors.some((e) => e.label === label);
  }
}
