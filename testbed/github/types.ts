/**
 * Records and options of the GitHub simulator. The records are the simulator's own state; what goes over the wire is
 * built from them in payloads.ts with GitHub's published types.
 */
import type { Clock } from "../../src/clock/clock.js";
import type { ScaleSetOptions } from "./scaleset/types.js";

export type JobConclusion = "success" | "failure" | "cancelled";
export type JobStatus = "waiting" | "queued" | "in_progress" | "completed";

export interface GitHubLimits {
  /** Primary limit per installation (and per personal token) per hour. GitHub: 5,000 for an installation on a
   *  non-Enterprise org, growing to 12,500 ("Rate limits for the REST API", docs.github.com). */
  primaryPerHour: number;
  /** Secondary limit: points per minute on one REST endpoint (GitHub: 900). */
  pointsPerMinute: number;
  /** GET/HEAD/OPTIONS cost 1 point, POST/PATCH/PUT/DELETE cost 5 ("Calculating points for the secondary rate limit"). */
  readCost: number;
  writeCost: number;
  /** At most 100 concurrent requests (secondary limit). */
  maxConcurrent: number;
  /** Content-creating requests per minute / hour; GitHub says "generally no more than 80 a minute and 500 an hour" but
   *  does not publish whether creating a runner counts, so this is off (0) unless a test turns it on. */
  contentCreationPerMinute: number;
  contentCreationPerHour: number;
  /** GitHub answers a spent limit with 403 or 429; which one is chosen here. */
  limitedStatus: 403 | 429;
}

export const DEFAULT_LIMITS: GitHubLimits = {
  primaryPerHour: 5000,
  pointsPerMinute: 900,
  readCost: 1,
  writeCost: 5,
  maxConcurrent: 100,
  contentCreationPerMinute: 0,
  contentCreationPerHour: 0,
  limitedStatus: 403,
};

export interface SimResponseInfo {
  method: string;
  /** The OpenAPI path template, e.g. "/repos/{owner}/{repo}/actions/runners/generate-jitconfig". */
  route: string;
  status: number;
  body: unknown;
}

export interface GitHubSimOptions {
  clock?: Clock;
  port?: number;
  host?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  limits?: Partial<GitHubLimits>;
  onResponse?: (r: SimResponseInfo) => void;
  /** Owner (an organization) and the default repository. */
  owner?: string;
  repo?: string;
  /** Clock time after which a runner that stopped talking to the sim is offline and its job fails. The runner renews
   *  its job lease every 60 s (as the actions runner does); 150 s = two missed renewals and a margin. */
  runnerLostAfterMs?: number;
  /** Real-time timeout of one webhook delivery: GitHub gives the receiver 10 s ("Best practices for using webhooks").
   *  Real, not clock, time: it bounds a real HTTP exchange whose speed does not scale with the clock. */
  deliveryTimeoutMs?: number;
  /** Webhook deliveries in flight at once. GitHub delivers in parallel and promises no order; 1 (the default) keeps
   *  tests that read a delivery sequence simple, a larger figure is closer to GitHub under load. */
  deliveryConcurrency?: number;
  /** The runner scale set service's options (assignment mode, poll wait, requeue timing, …; scaleset/types.ts). */
  scaleSets?: Partial<ScaleSetOptions>;
  /** Every answer of the scale set service (its route templates are the client's paths, testbed/spec/scaleset-types.ts). */
  onScaleSetResponse?: (r: SimResponseInfo) => void;
}

export interface RepoRecord {
  id: number;
  name: string;
  nodeId: string;
  /** As GitHub's repository `visibility`; webhook and REST bodies derive `private` from it. Default private. */
  visibility: RepoVisibility;
}

export type RepoVisibility = "public" | "private" | "internal";

/** A check run created through `POST /repos/{owner}/{repo}/check-runs`, as the sim keeps it. */
export interface CheckRunRecord {
  id: number;
  nodeId: string;
  repo: string;
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  externalId: string | null;
  detailsUrl: string | null;
  startedAt: number | null;
  completedAt: number | null;
  output: { title: string | null; summary: string | null; text: string | null; annotationsCount: number };
  /** Which credential created it ("installation:ID"). */
  actor: string;
  createdAt: number;
}

export interface RunnerRecord {
  id: number;
  name: string;
  labels: string[];
  groupId: number;
  groupName: string;
  /** Repository name for a repository-level runner; null for an organization-level one. */
  repo: string | null;
  ephemeral: boolean;
  /** The runner scale set it belongs to (its JIT config came from the scale set's generatejitconfig), if any. */
  scaleSetId: number | null;
  /** The per-runner secret carried in the JIT config's .credentials. */
  clientId: string;
  clientSecret: string;
  sessionId: string | null;
  jobId: number | null;
  lastSeen: number;
  createdAt: number;
  /** Sequence of becoming idle: the runner idle longest gets a job first. */
  idleSince: number;
}

export interface JobRecord {
  id: number;
  runId: number;
  runAttempt: number;
  name: string;
  labels: string[];
  durationSeconds: number;
  plannedConclusion: "success" | "failure";
  environment: string | null;
  status: JobStatus;
  conclusion: JobConclusion | null;
  createdAt: number;
  startedAt: number;
  completedAt: number | null;
  runnerId: number | null;
  runnerName: string | null;
  runnerGroupId: number | null;
  runnerGroupName: string | null;
  /** Last time the runner running the job was heard from. */
  lastRenewAt: number;
  /** Order of entering the queue: the oldest queued job is assigned first. */
  queuedSeq: number;
  /** Superseded by a later attempt (re-run). */
  superseded: boolean;
}

export interface RunRecord {
  id: number;
  runNumber: number;
  attempt: number;
  repo: string;
  workflowName: string;
  headSha: string;
  headBranch: string;
  createdAt: number;
  updatedAt: number;
  runStartedAt: number;
  jobIds: number[];
}

export interface CreateRunJob {
  name: string;
  labels: string[];
  durationSeconds: number;
  conclusion?: "success" | "failure";
  environment?: string;
}

export interface CreateRunInput {
  repo?: string;
  workflowName?: string;
  jobs: CreateRunJob[];
}

export interface DeliveryRecord {
  id: number;
  guid: string;
  deliveredAt: number;
  redelivery: boolean;
  /** Sent twice on purpose by a duplicate fault (the second copy). */
  duplicate: boolean;
  duration: number;
  status: string;
  statusCode: number;
  event: string;
  action: string | null;
  installationId: number | null;
  repositoryId: number | null;
  jobId: number | null;
  requestHeaders: Record<string, string>;
  payload: Record<string, unknown>;
  rawBody: string;
  responseHeaders: Record<string, string>;
  responseBody: string | null;
}
