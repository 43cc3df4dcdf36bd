import { JIT_PARAMETER_ENV, RUNNER_NAME_ENV, STANDBY_POLL_SECONDS_ENV, STANDBY_UNTIL_ENV } from "../core/runner-env.js";
import type { Arch, Backend, LaunchErrorKind, LaunchSpec } from "../core/types.js";

/**
 * A place runners are started: ECS (FARGATE, FARGATE_SPOT) or CodeBuild. One interface, one contract test suite
 * (provider.contract.ts) that every implementation passes against the test bed.
 */
export interface Provider {
  readonly backends: readonly Backend[];
  /** Starts one runner. Idempotent on `req.idempotencyKey`: a repeat returns the same handle and starts nothing. */
  launch(req: LaunchRequest): Promise<LaunchHandle>;
  /** The current state of many launches in as few API calls as the backend allows. */
  describe(handles: readonly LaunchHandle[]): Promise<LaunchState[]>;
  stop(handle: LaunchHandle, why: string): Promise<void>;
  /**
   * The launch state an EventBridge state change event of this backend reports, mapped as `describe` maps the API's
   * answer (state-events.ts); undefined for any other event. Lets the Lambda events function follow runners without
   * a describe call, and without a mapping of its own. Like `describe`, it deletes the JIT parameter of a runner the
   * event reports stopped without having read it: the tracker describes no launch an event has already closed, so
   * nothing else would before the parameter's expiry.
   */
  takeEvent(event: unknown): Promise<LaunchState | undefined>;
  /**
   * The task or build started as this runner, found by the runner's name: for a launch whose answer was lost (the
   * controller died between asking and recording it). Undefined when there is none, or when the backend cannot look
   * (an ECS name too long for `startedBy`; a CodeBuild build past the bounded look-back).
   */
  findLaunch(lost: LostLaunch): Promise<LaunchHandle | undefined>;
}

/** A launch to look for, as its launch row recorded it before the provider was asked (a LaunchRecord is one). */
export interface LostLaunch {
  readonly backend: Backend;
  readonly arch: Arch;
  readonly runnerName: string;
  /** Clock time (ms) at which it was requested: nothing started earlier can be it. */
  readonly requestedAt: number;
}

/**
 * One runner to start. A runner for a known job gets its JIT config now (through the provider's JitHandoff); a
 * standby (docs/standby.md) gets it later, when a job is handed to it: it is told only where to wait for it.
 */
export type LaunchRequest = LaunchRequestBase &
  (
    | {
        /** The encoded JIT runner config. A secret: never logged, never stored. */
        readonly jitConfig: string;
        readonly standby?: undefined;
      }
    | { readonly standby: StandbyLaunch; readonly jitConfig?: undefined }
  );

/** Where and until when a standby waits for its JIT config. */
export interface StandbyLaunch {
  /** The one-time parameter it polls, written only when a job is handed to it (core/standby.ts StandbyRole). */
  readonly parameter: string;
  /** Clock time (ms since the epoch) at which it stops waiting and exits. */
  readonly until: number;
  /** How often it polls its parameter (core/runner-env.ts standbyPollMs); absent: the image's default. */
  readonly pollMs?: number | undefined;
}

export interface LaunchRequestBase {
  /** Derived from the job id and the launch attempt (ECS clientToken / CodeBuild idempotencyToken). */
  readonly idempotencyKey: string;
  readonly spec: LaunchSpec;
  readonly runnerName: string;
  readonly jobId: number;
  readonly runId: number;
  /** "owner/repo" */
  readonly repository: string;
}

/**
 * What tornade tells every runner container, in plaintext (DescribeTasks and BatchGetBuilds show it, so never a
 * secret): its JIT parameter's name, its own name, the job, run and repository it serves, and — a standby — until when
 * it waits for its config. Shared by every provider so that they tell it the same.
 */
export function runnerEnvironment(req: LaunchRequest, parameter: string): { name: string; value: string }[] {
  return [
    { name: JIT_PARAMETER_ENV, value: parameter },
    { name: RUNNER_NAME_ENV, value: req.runnerName },
    { name: "TORNADE_JOB_ID", value: String(req.jobId) },
    { name: "TORNADE_RUN_ID", value: String(req.runId) },
    { name: "TORNADE_REPOSITORY", value: req.repository },
    ...(req.standby ? [{ name: STANDBY_UNTIL_ENV, value: String(req.standby.until) }] : []),
    ...(req.standby?.pollMs ? [{ name: STANDBY_POLL_SECONDS_ENV, value: String(req.standby.pollMs / 1000) }] : []),
  ];
}

export interface LaunchHandle {
  readonly backend: Backend;
  /** ECS task ARN or CodeBuild build id. */
  readonly id: string;
}

export type LaunchStatus = "pending" | "running" | "stopped";

export interface LaunchState {
  readonly handle: LaunchHandle;
  readonly status: LaunchStatus;
  /** Set once stopped: true when the runner ended without error (exit 0 / build SUCCEEDED). */
  readonly succeeded?: boolean;
  /** True when AWS stopped a FARGATE_SPOT task for a Spot interruption. */
  readonly spotInterrupted: boolean;
  /** AWS's own words (stoppedReason, build phase message), for people. */
  readonly reason?: string;
  readonly startedAt?: number;
  readonly stoppedAt?: number;
}

/** Why a launch did not start, of the closed set of kinds the store keeps (core/types.ts LAUNCH_ERROR_KINDS). */
export class LaunchError extends Error {
  override readonly name = "LaunchError";
  constructor(
    readonly kind: LaunchErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get retryable(): boolean {
    return this.kind !== "permanent";
  }
}
