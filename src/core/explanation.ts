/**
 * What `tornade explain` prints: the JobDecision serve stores (core/decision.ts decideDelivery), laid out as one flat
 * JSON object whose fields are all present — null, false or [] where they do not apply — so a reader or a script finds
 * every documented field whatever the decision. Pure formatting; it decides nothing.
 */
import type { JobDecision } from "./job-decision.js";
import type { Arch, Backend, Size } from "./types.js";

export interface Explanation {
  readonly launch: boolean;
  readonly backend: Backend | null;
  readonly arch: Arch | null;
  readonly static: boolean;
  /** vCPU (Fargate). */
  readonly cpu: number | null;
  /** MiB (Fargate). */
  readonly memory: number | null;
  /** GiB of ephemeral storage (Fargate). */
  readonly disk: number | null;
  /** Size preset; on CodeBuild the compute type (CODEBUILD_COMPUTE_TYPES). */
  readonly size: Size | null;
  readonly image: string | null;
  /** The CodeBuild reserved-capacity fleet the build runs on (`fleet=`); null when none. */
  readonly fleet: string | null;
  readonly runnerLabels: readonly string[] | null;
  /** Why nothing is launched; null when launching. */
  readonly reason: string | null;
  /**
   * Why the job is rejected, as one line: every label problem ("label \"arch=RISCV\": arch must be …; label …"), or
   * the policy refusal's message. Null when not rejected.
   */
  readonly error: string | null;
  /** The same problems one by one (a job with four bad labels has four); empty when not rejected. */
  readonly errors: readonly string[];
}

const NOTHING: Explanation = {
  launch: false,
  backend: null,
  arch: null,
  static: false,
  cpu: null,
  memory: null,
  disk: null,
  size: null,
  image: null,
  fleet: null,
  runnerLabels: null,
  reason: null,
  error: null,
  errors: [],
};

export function explanationOf(d: JobDecision): Explanation {
  switch (d.kind) {
    case "launch": {
      const s = d.spec;
      return {
        ...NOTHING,
        launch: true,
        backend: s.backend,
        arch: s.arch,
        cpu: s.cpu ?? null,
        memory: s.memory ?? null,
        disk: s.disk ?? null,
        size: s.size ?? null,
        image: s.image,
        fleet: s.fleet ?? null,
        runnerLabels: [...s.runnerLabels],
      };
    }
    case "static":
      return { ...NOTHING, static: true, reason: d.reason };
    case "ignored":
      return { ...NOTHING, reason: d.reason };
    case "rejected":
      return { ...NOTHING, reason: `rejected: ${d.reason}`, error: d.reason, errors: d.problems ? [...d.problems] : [d.reason] };
    case "failed":
      return { ...NOTHING, reason: `gave up: ${d.reason}`, error: d.reason, errors: [d.reason] };
  }
}
