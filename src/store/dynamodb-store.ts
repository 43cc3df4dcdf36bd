import { DeleteItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Clock } from "../clock/clock.js";
import { ACTIVE_LAUNCH_PHASES, BACKENDS, JOB_STATUSES, type Backend, type JobStatus, type LaunchPhase } from "../core/types.js";
import {
  av,
  decodeKeyCursor,
  deliveryKey,
  encodeKeyCursor,
  isConditionFailed,
  jobIndexes,
  jobKey,
  json,
  launchIndexes,
  launchKey,
  metaKey,
  num,
  parseLaunchId,
  rerunIndex,
  str,
  toDelivery,
  toJob,
  toLaunch,
  type Item,
  type Scalar,
} from "./dynamodb-items.js";
import { TableOps } from "./dynamodb-ops.js";
import { DynamoDbSweeperMemory } from "./dynamodb-sweeper-memory.js";
import { DynamoDbLeases } from "./dynamodb-lease.js";
import type { FailedDelivery, LookedAtRun } from "./sweeper-memory.js";
import { GSI_BY_LOOKUP, GSI_BY_STATE, GSI_BY_UPDATED, TTL_ATTRIBUTE, pad } from "./dynamodb-table.js";
import {
  checkDeliveryRetention,
  checkJobStatus,
  VersionConflict,
  NO_JOB,
  launchId,
  type DeliveryInfo,
  type DeliveryRecord,
  type JobPage,
  type JobPatch,
  type JobQuery,
  type JobRecord,
  type LaunchPatch,
  type LaunchRecord,
  type NewJob,
  type NewLaunch,
  type Store,
} from "./store.js";

/** How long DynamoDB keeps a delivery before its TTL removes it: beyond GitHub's 3-day redelivery window. */
const DELIVERY_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface DynamoDbStoreOptions {
  readonly client: DynamoDBClient;
  /** The table of dynamodb-table.ts (TORNADE_TABLE). */
  readonly table: string;
  readonly clock: Clock;
}

/**
 * The scale-out Store on one DynamoDB table (layout: dynamodb-table.ts). Insert-if-absent is a PutItem conditioned on
 * `attribute_not_exists(pk)`; versioned updates are UpdateItems conditioned on `version = :expected` (DynamoDB
 * Developer Guide, "Condition expressions" and "Optimistic locking with version number"). Point reads are strongly
 * consistent; listings go through GSIs and may lag a write by a moment (see dynamodb-table.ts).
 */
export class DynamoDbStore implements Store {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  private readonly clock: Clock;
  private readonly sweeperMemory: DynamoDbSweeperMemory;
  private readonly leases: DynamoDbLeases;
  private readonly ops: TableOps;

  constructor(opts: DynamoDbStoreOptions) {
    this.db = opts.client;
    this.table = opts.table;
    this.clock = opts.clock;
    this.sweeperMemory = new DynamoDbSweeperMemory(opts.client, opts.table, opts.clock);
    this.leases = new DynamoDbLeases(opts.client, opts.table, opts.clock);
    this.ops = new TableOps(opts.client, opts.table);
  }

  async getJob(id: number): Promise<JobRecord | undefined> {
    const item = await this.ops.get(jobKey(id));
    return item && toJob(item);
  }

  async createJobIfAbsent(job: NewJob): Promise<boolean> {
    checkJobStatus(job.status);
    const now = this.clock.now();
    const item: Item = {
      ...jobKey(job.id),
      ...jobIndexes(job.id, job.status, now),
      ...(job.rerunBackend ? rerunIndex(job.runId, job.name) : {}),
      ...jobAttributes(job),
      id: av(job.id),
      updatedAt: av(now),
      version: av(1),
    };
    return this.ops.putIfAbsent(item);
  }

  async updateJob(id: number, expectedVersion: number, patch: JobPatch): Promise<JobRecord> {
    const now = this.clock.now();
    const values: Item = {};
    for (const [k, v] of Object.entries(jobAttributes(patch))) values[k] = v;
    if (patch.status !== undefined) checkJobStatus(patch.status);
    const indexes = jobIndexes(id, patch.status ?? "queued", now);
    values["gsi1sk"] = indexes["gsi1sk"]!;
    values["gsi2sk"] = indexes["gsi2sk"]!;
    if (patch.status !== undefined) values["gsi2pk"] = indexes["gsi2pk"]!;
    const remove: string[] = [];
    if (patch.rerunBackend === null) remove.push("gsi3pk");
    if (patch.rerunBackend) {
      // The index key needs the job's run and name, which a patch of its re-run target does not carry. Both are fixed
      // when the job is created, so reading them first cannot race with the versioned write that follows.
      const current = await this.ops.get(jobKey(id));
      if (current) Object.assign(values, rerunIndex(num(current, "runId"), str(current, "name")));
    }
    const item = await this.ops.versionedUpdate("job", jobKey(id), id, expectedVersion, values, remove, now);
    return toJob(item);
  }

  async listJobs(query: JobQuery = {}): Promise<JobPage> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 100)), 1000);
    const byStatus = query.status !== undefined;
    if (byStatus) checkJobStatus(query.status!);
    const [pkName, skName, index] = byStatus ? ["gsi2pk", "gsi2sk", GSI_BY_STATE] : ["gsi1pk", "gsi1sk", GSI_BY_UPDATED];
    const values: Item = { ":p": { S: byStatus ? `JOBSTATUS#${query.status}` : "JOBS" } };
    let condition = "#p = :p";
    if (query.updatedBefore !== undefined) {
      condition += " AND #s < :cut";
      values[":cut"] = { S: pad(query.updatedBefore) };
    }
    const answer = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: index,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: { "#p": pkName, ...(query.updatedBefore !== undefined ? { "#s": skName } : {}) },
        ExpressionAttributeValues: values,
        ScanIndexForward: (query.order ?? "newest") === "oldest",
        Limit: limit,
        ...(query.cursor ? { ExclusiveStartKey: decodeKeyCursor(query.cursor, ["pk", "sk", pkName, skName]) } : {}),
      }),
    );
    const jobs = (answer.Items ?? []).map(toJob);
    return answer.LastEvaluatedKey ? { jobs, cursor: encodeKeyCursor(answer.LastEvaluatedKey) } : { jobs };
  }

  async countJobsByStatus(): Promise<Record<JobStatus, number>> {
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const status of JOB_STATUSES) counts[status] = await this.ops.count(`JOBSTATUS#${status}`);
    return counts;
  }

  async getLaunch(id: string): Promise<LaunchRecord | undefined> {
    const parts = parseLaunchId(id);
    const item = parts && (await this.ops.get(launchKey(parts.jobId, parts.attempt)));
    return item ? toLaunch(item) : undefined;
  }

  async putLaunch(launch: NewLaunch): Promise<boolean> {
    const id = launchId(launch.jobId, launch.attempt);
    const state = launch.state ?? "requested";
    const providerId = launch.providerId ?? null;
    // Named attributes only: whatever else the caller's object carries (a JIT config by mistake) is never written.
    const item: Item = {
      ...launchKey(launch.jobId, launch.attempt),
      ...launchIndexes(id, state, launch.requestedAt, providerId),
      id: av(id),
      jobId: av(launch.jobId),
      attempt: av(launch.attempt),
      backend: av(launch.backend),
      arch: av(launch.arch),
      providerId: av(providerId),
      runnerName: av(launch.runnerName),
      state: av(state),
      error: json(launch.error ?? null),
      outcome: json(launch.outcome ?? null),
      spotInterrupted: av(launch.spotInterrupted === true),
      fallbackFrom: av(launch.fallbackFrom ?? null),
      standby: json(launch.standby ?? null),
      handoffFrom: av(launch.handoffFrom ?? null),
      requestedAt: av(launch.requestedAt),
      launchedAt: av(launch.launchedAt ?? null),
      startedAt: av(launch.startedAt ?? null),
      stoppedAt: av(launch.stoppedAt ?? null),
      updatedAt: av(this.clock.now()),
      version: av(1),
    };
    return this.ops.putIfAbsent(item);
  }

  async updateLaunch(id: string, expectedVersion: number, patch: LaunchPatch): Promise<LaunchRecord> {
    const parts = parseLaunchId(id);
    if (!parts) throw new VersionConflict("launch", id, expectedVersion, null);
    const values: Item = {};
    const remove: string[] = [];
    const scalar: (keyof LaunchPatch)[] = [
      "backend", "arch", "providerId", "runnerName", "state", "spotInterrupted", "fallbackFrom", "handoffFrom", "requestedAt",
      "launchedAt", "startedAt", "stoppedAt",
    ];
    for (const field of scalar) {
      if (patch[field] !== undefined) values[field] = av(patch[field] as Scalar);
    }
    if (patch.error !== undefined) values["error"] = json(patch.error);
    if (patch.outcome !== undefined) values["outcome"] = json(patch.outcome);
    if (patch.standby !== undefined) values["standby"] = json(patch.standby);
    // Index attributes follow the fields they are derived from; the rest of each index key is fixed per launch.
    if (patch.state !== undefined) values["gsi2pk"] = { S: `LAUNCHSTATE#${patch.state}` };
    if (patch.requestedAt !== undefined) values["gsi2sk"] = { S: `${pad(patch.requestedAt)}#${id}` };
    if (patch.providerId !== undefined) {
      if (patch.providerId === null) remove.push("gsi3pk");
      else values["gsi3pk"] = { S: `PROVIDER#${patch.providerId}` };
    }
    const item = await this.ops.versionedUpdate("launch", launchKey(parts.jobId, parts.attempt), id, expectedVersion, values, remove, this.clock.now());
    return toLaunch(item);
  }

  async listLaunches(jobId: number): Promise<LaunchRecord[]> {
    const items = await this.ops.queryAll({
      KeyConditionExpression: "pk = :p AND begins_with(sk, :l)",
      ExpressionAttributeValues: { ":p": { S: `JOB#${jobId}` }, ":l": { S: "LAUNCH#" } },
      ConsistentRead: true,
    });
    return items.map(toLaunch);
  }

  async listLaunchesByState(states: readonly LaunchPhase[], limit = 1000): Promise<LaunchRecord[]> {
    const max = Math.max(1, Math.floor(limit));
    const all: { sk: string; launch: LaunchRecord }[] = [];
    for (const state of new Set(states)) {
      const items = await this.ops.queryAll(
        {
          IndexName: GSI_BY_STATE,
          KeyConditionExpression: "gsi2pk = :p",
          ExpressionAttributeValues: { ":p": { S: `LAUNCHSTATE#${state}` } },
        },
        max,
      );
      for (const item of items) all.push({ sk: item["gsi2sk"]?.S ?? "", launch: toLaunch(item) });
    }
    // Each state's index partition is already ordered by (requestedAt, id); merge them.
    all.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
    return all.slice(0, max).map((e) => e.launch);
  }

  async countActiveLaunches(filter: { backend?: Backend } = {}): Promise<number> {
    let n = 0;
    for (const state of ACTIVE_LAUNCH_PHASES) n += await this.ops.count(`LAUNCHSTATE#${state}`, filter.backend);
    return n;
  }

  /**
   * The launch whose ECS task ARN or CodeBuild build id this is (EventBridge state changes name only that). A standby's
   * task, once handed to a job, is named by two rows — the standby's, closed, and the job's — and is the job's.
   */
  async findLaunchByProviderId(providerId: string): Promise<LaunchRecord | undefined> {
    const items = await this.ops.queryAll(
      {
        IndexName: GSI_BY_LOOKUP,
        KeyConditionExpression: "gsi3pk = :p",
        ExpressionAttributeValues: { ":p": { S: `PROVIDER#${providerId}` } },
      },
      2,
    );
    const launches = items.map(toLaunch);
    return launches.find((l) => l.jobId !== NO_JOB) ?? launches[0];
  }

  async recordDelivery(guid: string, info: DeliveryInfo): Promise<"new" | "duplicate"> {
    const item: Item = {
      ...deliveryKey(guid),
      gsi1pk: { S: "DELIVERIES" },
      gsi1sk: { S: `${pad(info.receivedAt)}#${guid}` },
      [TTL_ATTRIBUTE]: av(Math.floor((info.receivedAt + DELIVERY_TTL_MS) / 1000)),
      guid: av(guid),
      event: av(info.event),
      action: av(info.action),
      jobId: av(info.jobId ?? null),
      receivedAt: av(info.receivedAt),
    };
    return (await this.ops.putIfAbsent(item)) ? "new" : "duplicate";
  }

  async getDelivery(guid: string): Promise<DeliveryRecord | undefined> {
    const item = await this.ops.get(deliveryKey(guid));
    return item && toDelivery(item);
  }

  async pruneDeliveries(maxAgeMs: number): Promise<number> {
    checkDeliveryRetention(maxAgeMs);
    const old = await this.ops.queryAll({
      IndexName: GSI_BY_UPDATED,
      KeyConditionExpression: "gsi1pk = :p AND gsi1sk < :cut",
      ExpressionAttributeValues: { ":p": { S: "DELIVERIES" }, ":cut": { S: pad(this.clock.now() - maxAgeMs) } },
    });
    for (const item of old) {
      await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: item["pk"]!, sk: item["sk"]! } }));
    }
    return old.length;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.ops.get(metaKey(key)))?.["value"]?.S;
  }

  async putMeta(key: string, value: string): Promise<void> {
    await this.db.send(
      new PutItemCommand({ TableName: this.table, Item: { ...metaKey(key), value: av(value), updatedAt: av(this.clock.now()) } }),
    );
  }

  /**
   * Through gsi3's sparse `RERUN#<runId>#<name>` entries (only jobs tornade re-ran have one). A GSI read is eventually
   * consistent; the target is written before GitHub is even asked for the re-run, and the re-run's first look comes
   * after GitHub created it, sent its webhook and the queue handed it over — far longer than an index lags.
   */
  async findRerunBackend(runId: number, name: string, beforeAttempt: number): Promise<Backend | undefined> {
    const items = await this.ops.queryAll({
      IndexName: GSI_BY_LOOKUP,
      KeyConditionExpression: "gsi3pk = :p",
      ExpressionAttributeValues: { ":p": rerunIndex(runId, name)["gsi3pk"]! },
    });
    let best: { attempt: number; backend: Backend } | undefined;
    for (const item of items) {
      const attempt = Number(item["runAttempt"]?.N);
      const backend = BACKENDS.find((b) => b === item["rerunBackend"]?.S);
      if (backend && attempt < beforeAttempt && (!best || attempt > best.attempt)) best = { attempt, backend };
    }
    return best?.backend;
  }

  // The sweeper's memory (sweeper-memory.ts, dynamodb-sweeper-memory.ts).
  async listFailedDeliveries() { return this.sweeperMemory.listFailedDeliveries(); }
  async followFailedDeliveries(found: readonly FailedDelivery[]) { return this.sweeperMemory.followFailedDeliveries(found); }
  async claimRedelivery(guid: string, readAttempts: number, deliveryId: number, triedAt: number) { return this.sweeperMemory.claimRedelivery(guid, readAttempts, deliveryId, triedAt); }
  async forgetFailedDeliveries(guids: readonly string[]) { return this.sweeperMemory.forgetFailedDeliveries(guids); }
  async lookedAtRuns(repository: string, since: number) { return this.sweeperMemory.lookedAtRuns(repository, since); }
  async rememberRuns(repository: string, runs: readonly LookedAtRun[], keepMs: number) { return this.sweeperMemory.rememberRuns(repository, runs, keepMs); }
  // Leases (lease.ts, dynamodb-lease.ts).
  async acquireLease(name: string, holder: string, ttlMs: number) { return this.leases.acquireLease(name, holder, ttlMs); }
  async releaseLease(name: string, holder: string) { return this.leases.releaseLease(name, holder); }
  async getLease(name: string) { return this.leases.getLease(name); }

  async close(): Promise<void> {
    // The client is the caller's (it may be shared with the queue); nothing of ours to release.
  }
}

export function dynamoDbStore(opts: DynamoDbStoreOptions): DynamoDbStore {
  return new DynamoDbStore(opts);
}

/** The job fields of a NewJob or a patch, as attributes (only those present; an absent one reads back as null). */
function jobAttributes(job: Partial<NewJob>): Item {
  const out: Item = {};
  const scalars = [
    "runId", "runAttempt", "repository", "owner", "repo", "installationId", "name", "workflowName", "status",
    "conclusion", "runnerName", "startedAt", "createdAt", "receivedAt", "rerunBackend",
  ] as const;
  for (const field of scalars) if (field in job && job[field] !== undefined) out[field] = av(job[field] as Scalar);
  if (job.labels !== undefined) out["labels"] = json(job.labels);
  if ("decision" in job && job.decision !== undefined) out["decision"] = json(job.decision);
  return out;
}

export { isConditionFailed };
