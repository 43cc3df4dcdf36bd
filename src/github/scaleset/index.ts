/** tornade's client for GitHub's runner scale set API: see client.ts and docs/scale-sets.md. */
export { DEFAULT_RUNNER_GROUP, ScaleSetClient, type ScaleSetChange, type ScaleSetClientOptions } from "./client.js";
export { ScaleSetError, type ScaleSetErrorKind } from "./errors.js";
export { MessageSession, type PollOptions } from "./session.js";
export type { RetryPolicy } from "./retry.js";
export type { JobMessage, JobMessageType, RunnerGroup, RunnerRef, ScaleSet, ScaleSetJob, ScaleSetMessage, ScaleSetSpec, ScaleSetStatistics } from "./types.js";
