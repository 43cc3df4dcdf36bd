import { BACKENDS, type Arch, type Backend, type JobStatus, type LaunchPhase } from "../core/types.js";
import { jobDecisionOf, launchFieldsOf, standbyRoleOf } from "./record-fields.js";
import type { JobRecord, LaunchRecord } from "./store.js";

/** Rows of the SQLite tables (sqlite.ts) to records and back: JSON columns, cursors. */

export function encodeJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function parseJson(text: unknown): unknown {
  return typeof text === "string" ? (JSON.parse(text) as unknown) : null;
}

export function encodeCursor(updatedAt: number, id: number): string {
  return Buffer.from(JSON.stringify([updatedAt, id])).toString("base64url");
}

export function decodeCursor(cursor: string): [number, number] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number")) {
    return [value[0] as number, value[1] as number];
  }
  throw new RangeError("listJobs cursor is not one this store returned; start again without a cursor");
}

interface JobRow {
  id: number; run_id: number; run_attempt: number; repository: string; owner: string; repo: string;
  installation_id: number; labels: string; name: string; workflow_name: string | null; status: JobStatus;
  conclusion: string | null; runner_name: string | null; started_at: number | null; decision: string | null; created_at: number;
  received_at: number; updated_at: number; version: number; rerun_backend: string | null;
}

export function toJob(raw: unknown): JobRecord {
  const row = raw as JobRow;
  const labels: unknown = JSON.parse(row.labels);
  return {
    id: row.id,
    runId: row.run_id,
    runAttempt: row.run_attempt,
    repository: row.repository,
    owner: row.owner,
    repo: row.repo,
    installationId: row.installation_id,
    labels: Array.isArray(labels) ? labels.map(String) : [],
    name: row.name,
    workflowName: row.workflow_name,
    status: row.status,
    conclusion: row.conclusion,
    runnerName: row.runner_name,
    startedAt: row.started_at ?? null,
    decision: jobDecisionOf(parseJson(row.decision)),
    rerunBackend: BACKENDS.find((b) => b === row.rerun_backend) ?? null,
    createdAt: row.created_at,
    receivedAt: row.received_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

interface LaunchRow {
  id: string; job_id: number; attempt: number; backend: Backend; arch: Arch; provider_id: string | null;
  runner_name: string; state: LaunchPhase; error: string | null; outcome: string | null; spot_interrupted: number;
  fallback_from: Backend | null; standby: string | null; handoff_from: string | null; requested_at: number; launched_at: number | null; started_at: number | null;
  stopped_at: number | null; updated_at: number; version: number;
}

export function toLaunch(raw: unknown): LaunchRecord {
  const row = raw as LaunchRow;
  const { error, outcome } = launchFieldsOf(parseJson(row.error), parseJson(row.outcome));
  return {
    id: row.id,
    jobId: row.job_id,
    attempt: row.attempt,
    backend: row.backend,
    arch: row.arch,
    providerId: row.provider_id,
    runnerName: row.runner_name,
    state: row.state,
    error,
    outcome,
    spotInterrupted: row.spot_interrupted === 1,
    fallbackFrom: row.fallback_from,
    standby: standbyRoleOf(parseJson(row.standby)),
    handoffFrom: row.handoff_from ?? null,
    requestedAt: row.requested_at,
    launchedAt: row.launched_at,
    startedAt: row.started_at,
    stoppedAt: row.stopped_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}
