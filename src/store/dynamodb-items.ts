/**
 * Records to DynamoDB items and back (the raw AttributeValue shapes of @aws-sdk/client-dynamodb: S, N, BOOL, NULL).
 * Lists and objects (labels, decision, error, outcome, queue payloads) are stored as JSON strings: they are only ever read
 * whole. Key layout: dynamodb-table.ts.
 */
import { QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandInput } from "@aws-sdk/client-dynamodb";
import { BACKENDS, type Arch, type Backend, type JobStatus, type LaunchPhase } from "../core/types.js";
import { pad } from "./dynamodb-table.js";
import { jobDecisionOf, launchFieldsOf, standbyRoleOf } from "./record-fields.js";
import type { DeliveryRecord, JobRecord, LaunchRecord } from "./store.js";

export type Item = Record<string, AttributeValue>;
export type Scalar = string | number | boolean | null;

export function av(value: Scalar | undefined): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`cannot store ${value} in DynamoDB`);
    return { N: String(value) };
  }
  return { BOOL: value };
}

export function str(item: Item, name: string): string {
  const v = item[name];
  if (v?.S === undefined) throw new Error(`DynamoDB item ${item["pk"]?.S ?? "?"} lacks string attribute ${name}`);
  return v.S;
}

export function strOrNull(item: Item, name: string): string | null {
  return item[name]?.S ?? null;
}

export function num(item: Item, name: string): number {
  const v = item[name]?.N;
  if (v === undefined) throw new Error(`DynamoDB item ${item["pk"]?.S ?? "?"} lacks number attribute ${name}`);
  return Number(v);
}

export function numOrNull(item: Item, name: string): number | null {
  const v = item[name]?.N;
  return v === undefined ? null : Number(v);
}

export function json(value: unknown): AttributeValue {
  return value === null || value === undefined ? { NULL: true } : { S: JSON.stringify(value) };
}

export function parseJson(item: Item, name: string): unknown {
  const s = item[name]?.S;
  return s === undefined ? null : (JSON.parse(s) as unknown);
}

function objectOrNull(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export const jobKey = (id: number): Item => ({ pk: { S: `JOB#${id}` }, sk: { S: "JOB" } });
export const launchKey = (jobId: number, attempt: number): Item => ({ pk: { S: `JOB#${jobId}` }, sk: { S: `LAUNCH#${pad(attempt)}` } });
export const deliveryKey = (guid: string): Item => ({ pk: { S: `DELIVERY#${guid}` }, sk: { S: "DELIVERY" } });
export const metaKey = (key: string): Item => ({ pk: { S: `META#${key}` }, sk: { S: "META" } });

/** `${jobId}-${attempt}` back to its parts; undefined for ids no launch can have. */
export function parseLaunchId(id: string): { jobId: number; attempt: number } | undefined {
  const m = /^(\d+)-(\d+)$/.exec(id);
  if (!m) return undefined;
  const jobId = Number(m[1]);
  const attempt = Number(m[2]);
  return Number.isSafeInteger(jobId) && Number.isSafeInteger(attempt) ? { jobId, attempt } : undefined;
}

/** The index attributes a job carries, derived from its status and updatedAt. */
export function jobIndexes(id: number, status: JobStatus, updatedAt: number): Item {
  const sk = `${pad(updatedAt)}#${pad(id)}`;
  return { gsi1pk: { S: "JOBS" }, gsi1sk: { S: sk }, gsi2pk: { S: `JOBSTATUS#${status}` }, gsi2sk: { S: sk } };
}

/**
 * The sparse index entry of a job tornade re-ran (gsi3 `RERUN#<runId>#<name>`): its re-run, a new job of the same run
 * and name, finds its target there. The run id is digits, so the first `#` after it ends it and no two keys collide.
 */
export function rerunIndex(runId: number, name: string): Item {
  return { gsi3pk: { S: `RERUN#${runId}#${name}` } };
}

export function launchIndexes(id: string, state: LaunchPhase, requestedAt: number, providerId: string | null): Item {
  return {
    gsi2pk: { S: `LAUNCHSTATE#${state}` },
    gsi2sk: { S: `${pad(requestedAt)}#${id}` },
    ...(providerId === null ? {} : { gsi3pk: { S: `PROVIDER#${providerId}` } }),
  };
}

export function toJob(item: Item): JobRecord {
  const labels = parseJson(item, "labels");
  return {
    id: num(item, "id"),
    runId: num(item, "runId"),
    runAttempt: num(item, "runAttempt"),
    repository: str(item, "repository"),
    owner: str(item, "owner"),
    repo: str(item, "repo"),
    installationId: num(item, "installationId"),
    labels: Array.isArray(labels) ? labels.map(String) : [],
    name: str(item, "name"),
    workflowName: strOrNull(item, "workflowName"),
    status: str(item, "status") as JobStatus,
    conclusion: strOrNull(item, "conclusion"),
    runnerName: strOrNull(item, "runnerName"),
    startedAt: numOrNull(item, "startedAt"),
    decision: jobDecisionOf(parseJson(item, "decision")),
    rerunBackend: BACKENDS.find((b) => b === item["rerunBackend"]?.S) ?? null,
    createdAt: num(item, "createdAt"),
    receivedAt: num(item, "receivedAt"),
    updatedAt: num(item, "updatedAt"),
    version: num(item, "version"),
  };
}

export function toLaunch(item: Item): LaunchRecord {
  const { error, outcome } = launchFieldsOf(parseJson(item, "error"), parseJson(item, "outcome"));
  return {
    id: str(item, "id"),
    jobId: num(item, "jobId"),
    attempt: num(item, "attempt"),
    backend: str(item, "backend") as Backend,
    arch: str(item, "arch") as Arch,
    providerId: strOrNull(item, "providerId"),
    runnerName: str(item, "runnerName"),
    state: str(item, "state") as LaunchPhase,
    error,
    outcome,
    spotInterrupted: item["spotInterrupted"]?.BOOL === true,
    fallbackFrom: strOrNull(item, "fallbackFrom") as Backend | null,
    standby: standbyRoleOf(parseJson(item, "standby")),
    handoffFrom: strOrNull(item, "handoffFrom"),
    requestedAt: num(item, "requestedAt"),
    launchedAt: numOrNull(item, "launchedAt"),
    startedAt: numOrNull(item, "startedAt"),
    stoppedAt: numOrNull(item, "stoppedAt"),
    updatedAt: num(item, "updatedAt"),
    version: num(item, "version"),
  };
}

export function toDelivery(item: Item): DeliveryRecord {
  return {
    guid: str(item, "guid"),
    event: str(item, "event"),
    action: strOrNull(item, "action"),
    jobId: numOrNull(item, "jobId"),
    receivedAt: num(item, "receivedAt"),
  };
}

/** A listing cursor is the query's LastEvaluatedKey: string attributes only, base64url JSON. */
export function encodeKeyCursor(key: Item): string {
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(key)) if (v.S !== undefined) plain[k] = v.S;
  return Buffer.from(JSON.stringify(plain)).toString("base64url");
}

export function decodeKeyCursor(cursor: string, expected: readonly string[]): Item {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  const obj = objectOrNull(value);
  if (obj && expected.every((k) => typeof obj[k] === "string") && Object.keys(obj).length === expected.length) {
    return Object.fromEntries(expected.map((k) => [k, { S: obj[k] as string }]));
  }
  throw new RangeError("listJobs cursor is not one this store returned; start again without a cursor");
}

/** DynamoDB refused a conditional write because its condition did not hold. */
export function isConditionFailed(e: unknown): boolean {
  return e instanceof Error && e.name === "ConditionalCheckFailedException";
}

/** Every item a Query answers, page after page (up to `max`). */
export async function queryAll(db: DynamoDBClient, input: QueryCommandInput, max = Infinity): Promise<Item[]> {
  const out: Item[] = [];
  let start: Item | undefined;
  do {
    const answer = await db.send(
      new QueryCommand({
        ...input,
        ...(Number.isFinite(max) ? { Limit: max - out.length } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    out.push(...(answer.Items ?? []));
    start = answer.LastEvaluatedKey;
  } while (start && out.length < max);
  return out;
}
