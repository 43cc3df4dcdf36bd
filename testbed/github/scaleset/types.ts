/**
 * Records and options of the simulated runner scale set service (the "Actions service" GitHub's scale set client,
 * github.com/actions/scaleset, talks to). What goes over the wire is built from these in wire.ts, in the shapes of
 * that client's types.go.
 */
import type { ClockTimer } from "../../../src/clock/clock.js";

/**
 * How a job reaches a scale set.
 * - "acquire": the service offers the job (JobAvailable), the listener acquires it (`acquirejobs`), the service
 *   assigns it (JobAssigned). The flow of the client's AcquireJobs (session_client.go) and of ARC's listener up to 0.10.
 * - "direct": the service assigns the job itself (JobAssigned only), within the capacity the listener reports. What
 *   the client's listener at HEAD expects: listener.go handles JobAssigned/JobStarted/JobCompleted and never acquires.
 */
export type AssignmentMode = "acquire" | "direct";

export interface ScaleSetOptions {
  assignment: AssignmentMode;
  /** A message poll with nothing to deliver is held this long (clock time) before 202. The runner's and the
   *  listener's long polls last about 50 s (actions/runner MessageListener; ARC's listener). */
  pollWaitMs: number;
  /** Job messages per RunnerScaleSetJobMessages batch. */
  maxBatch: number;
  /** A job offered but not acquired, or assigned but not started by a runner of the scale set, within this much
   *  clock time is requeued (offered or assigned again). Not published; actions/actions-runner-controller#4602 shows
   *  GitHub assigning a job whose runner never came up three times, five minutes apart. */
  requeueAfterMs: number;
  /** Requeues per job; after the last one the job stays with the scale set until a runner takes it. */
  maxRequeues: number;
  /** A session not heard from (no poll, ack or acquire) for this long is released, so another listener may open
   *  one. Not published; ARC's listener retries a conflicting session for 10 × 30 s, which suggests minutes. */
  sessionIdleTimeoutMs: number;
  /** Lifetime of the admin token from `POST /actions/runner-registration` (the client refreshes 60 s before exp). */
  adminTokenTtlMs: number;
  /** Lifetime of a session's message queue token (the client refreshes the session on 401). */
  queueTokenTtlMs: number;
}

export const DEFAULT_SCALE_SET_OPTIONS: ScaleSetOptions = {
  assignment: "acquire",
  pollWaitMs: 50_000,
  maxBatch: 50,
  requeueAfterMs: 5 * 60_000,
  maxRequeues: 3,
  sessionIdleTimeoutMs: 2 * 60_000,
  adminTokenTtlMs: 60 * 60_000,
  queueTokenTtlMs: 60 * 60_000,
};

/** The runner scope a registration token, an admin token and a scale set belong to: one repository or the org. */
export interface Scope {
  /** Repository name, or null for the organization. */
  repo: string | null;
}

export interface LabelRecord {
  type: string;
  name: string;
}

export interface SessionRecord {
  id: string;
  ownerName: string;
  /** The message queue access token now valid for this session (a refresh replaces it). */
  token: string;
  tokenExpiresAt: number;
  lastSeen: number;
  /** Polls being held right now (a session being polled is alive whatever lastSeen says). */
  polling: number;
}

export interface ScaleSetRecord {
  id: number;
  name: string;
  groupId: number;
  scope: Scope;
  labels: LabelRecord[];
  /** The client's RunnerSetting as sent (ephemeral, isElastic, disableUpdate), echoed back. */
  runnerSetting: Record<string, boolean>;
  createdAt: number;
  /** The last X-ScaleSetMaxCapacity a poll reported; null (no limit) until one does. */
  maxCapacity: number | null;
  session: SessionRecord | null;
}

export type ScaleSetJobState = "available" | "assigned" | "running";

/** A job the scale set service has taken charge of because its `runs-on` names a scale set. */
export interface ScaleSetJob {
  jobId: number;
  scaleSetId: number;
  /** runnerRequestId in the messages: what `acquirejobs` takes. */
  requestId: number;
  /** jobId in the messages (the Actions service names jobs by GUID, not by the REST job id). */
  guid: string;
  state: ScaleSetJobState;
  requeues: number;
  assignedAt: number | null;
  runnerAssignedAt: number | null;
  /** The requeue deadline of the current state, if any. */
  timer: ClockTimer | null;
}
