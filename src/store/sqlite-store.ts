import type { Clock } from "../clock/clock.js";
import { ACTIVE_LAUNCH_PHASES, BACKENDS, JOB_STATUSES, type Backend, type JobStatus, type LaunchPhase } from "../core/types.js";
import { decodeCursor, encodeCursor, encodeJson, toJob, toLaunch } from "./sqlite-rows.js";
import { sqliteHandleFor, type SqliteHandle, type SqliteOptions } from "./sqlite.js";
import { SqliteSweeperMemory } from "./sqlite-sweeper-memory.js";
import { SqliteLeases } from "./sqlite-lease.js";
import type { FailedDelivery, LookedAtRun } from "./sweeper-memory.js";
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

/**
 * The embedded Store on SQLite. Every method is synchronous underneath (better-sqlite3); `sync` exposes those so the
 * intake (intake.ts) can combine several in one transaction with the queue on the same handle. The async writes
 * resolve once their commit is on the disk (`SqliteHandle.durably`); the `sync` ones commit at the handle's level.
 */
export class SqliteStore implements Store {
  readonly handle: SqliteHandle;
  readonly sync: SqliteStoreSync;
  private readonly sweeperMemory: SqliteSweeperMemory;
  private readonly leases: SqliteLeases;
  private closed = false;

  constructor(target: SqliteHandle | string, readonly clock: Clock, options?: SqliteOptions) {
    this.handle = sqliteHandleFor(target, options);
    this.handle.retain();
    this.sync = new SqliteStoreSync(this.handle, clock);
    this.sweeperMemory = new SqliteSweeperMemory(this.handle, clock);
    this.leases = new SqliteLeases(this.handle, clock);
  }

  async getJob(id: number) { return this.sync.getJob(id); }
  async createJobIfAbsent(job: NewJob) { return this.durably(() => this.sync.createJobIfAbsent(job)); }
  async updateJob(id: number, expectedVersion: number, patch: JobPatch) { return this.durably(() => this.sync.updateJob(id, expectedVersion, patch)); }
  async listJobs(query?: JobQuery) { return this.sync.listJobs(query); }
  async countJobsByStatus() { return this.sync.countJobsByStatus(); }
  async getLaunch(id: string) { return this.sync.getLaunch(id); }
  async putLaunch(launch: NewLaunch) { return this.durably(() => this.sync.putLaunch(launch)); }
  async updateLaunch(id: string, expectedVersion: number, patch: LaunchPatch) { return this.durably(() => this.sync.updateLaunch(id, expectedVersion, patch)); }
  async listLaunches(jobId: number) { return this.sync.listLaunches(jobId); }
  async listLaunchesByState(states: readonly LaunchPhase[], limit?: number) { return this.sync.listLaunchesByState(states, limit); }
  async countActiveLaunches(filter?: { backend?: Backend }) { return this.sync.countActiveLaunches(filter); }
  async findLaunchByProviderId(providerId: string) { return this.sync.findLaunchByProviderId(providerId); }
  async recordDelivery(guid: string, info: DeliveryInfo) { return this.durably(() => this.sync.recordDelivery(guid, info)); }
  async getDelivery(guid: string) { return this.sync.getDelivery(guid); }
  async pruneDeliveries(maxAgeMs: number) { return this.durably(() => this.sync.pruneDeliveries(maxAgeMs)); }
  async getMeta(key: string) { return this.sync.getMeta(key); }
  async putMeta(key: string, value: string) { return this.durably(() => this.sync.putMeta(key, value)); }
  async findRerunBackend(runId: number, name: string, beforeAttempt: number) { return this.sync.findRerunBackend(runId, name, beforeAttempt); }

  // The sweeper's memory (sweeper-memory.ts).
  async listFailedDeliveries() { return this.sweeperMemory.listFailedDeliveries(); }
  async followFailedDeliveries(found: readonly FailedDelivery[]) { return this.durably(() => this.sweeperMemory.followFailedDeliveries(found)); }
  async claimRedelivery(guid: string, readAttempts: number, deliveryId: number, triedAt: number) { return this.durably(() => this.sweeperMemory.claimRedelivery(guid, readAttempts, deliveryId, triedAt)); }
  async forgetFailedDeliveries(guids: readonly string[]) { return this.durably(() => this.sweeperMemory.forgetFailedDeliveries(guids)); }
  async lookedAtRuns(repository: string, since: number) { return this.sweeperMemory.lookedAtRuns(repository, since); }
  async rememberRuns(repository: string, runs: readonly LookedAtRun[], keepMs: number) { return this.durably(() => this.sweeperMemory.rememberRuns(repository, runs, keepMs)); }
  // Leases (lease.ts, sqlite-lease.ts).
  async acquireLease(name: string, holder: string, ttlMs: number) { return this.durably(() => this.leases.acquireLease(name, holder, ttlMs)); }
  async releaseLease(name: string, holder: string) { return this.durably(() => this.leases.releaseLease(name, holder)); }
  async getLease(name: string) { return this.leases.getLease(name); }

  /**
   * A write: committed without blocking the event loop on the disk, resolved once synced (sqlite.ts `durably`), so
   * concurrent writes of the whole process share one sync.
   */
  private durably<T>(write: () => T): Promise<T> {
    return this.handle.durably(write);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handle.release();
  }
}

/** Opens a store on a path (its own database) or on a handle shared with a queue. */
export function sqliteStore(target: SqliteHandle | string, clock: Clock, options?: SqliteOptions): SqliteStore {
  return new SqliteStore(target, clock, options);
}

const JOB_COLUMNS: Record<keyof Omit<JobRecord, "id" | "version" | "updatedAt">, string> = {
  runId: "run_id",
  runAttempt: "run_attempt",
  repository: "repository",
  owner: "owner",
  repo: "repo",
  installationId: "installation_id",
  labels: "labels",
  name: "name",
  workflowName: "workflow_name",
  status: "status",
  conclusion: "conclusion",
  runnerName: "runner_name",
  startedAt: "started_at",
  decision: "decision",
  rerunBackend: "rerun_backend",
  createdAt: "created_at",
  receivedAt: "received_at",
};

const LAUNCH_COLUMNS: Record<keyof LaunchPatch, string> = {
  backend: "backend",
  arch: "arch",
  providerId: "provider_id",
  runnerName: "runner_name",
  state: "state",
  error: "error",
  outcome: "outcome",
  spotInterrupted: "spot_interrupted",
  fallbackFrom: "fallback_from",
  standby: "standby",
  handoffFrom: "handoff_from",
  requestedAt: "requested_at",
  launchedAt: "launched_at",
  startedAt: "started_at",
  stoppedAt: "stopped_at",
};

type SqlValue = string | number | null;

/** The synchronous implementation; every call is one statement or one transaction. */
export class SqliteStoreSync {
  constructor(private readonly h: SqliteHandle, private readonly clock: Clock) {}

  getJob(id: number): JobRecord | undefined {
    const row = this.h.stmt("SELECT * FROM jobs WHERE id = ?").get(id);
    return row === undefined ? undefined : toJob(row);
  }

  createJobIfAbsent(job: NewJob): boolean {
    const now = this.clock.now();
    const result = this.h
      .stmt(
        `INSERT INTO jobs (id, run_id, run_attempt, repository, owner, repo, installation_id, labels, name, workflow_name,
           status, conclusion, runner_name, started_at, decision, rerun_backend, created_at, received_at, updated_at, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (id) DO NOTHING`,
      )
      .run(
        job.id, job.runId, job.runAttempt, job.repository, job.owner, job.repo, job.installationId,
        JSON.stringify(job.labels), job.name, job.workflowName ?? null, checkJobStatus(job.status), job.conclusion ?? null,
        job.runnerName ?? null, job.startedAt ?? null, encodeJson(job.decision ?? null), job.rerunBackend ?? null, job.createdAt,
        job.receivedAt, now,
      );
    return result.changes === 1;
  }

  updateJob(id: number, expectedVersion: number, patch: JobPatch): JobRecord {
    return this.versionedUpdate("job", "jobs", id, expectedVersion, ...jobSets(patch), toJob);
  }

  /** updateJob for a writer that does not need the row back (the intake): nothing is decoded. */
  patchJob(id: number, expectedVersion: number, patch: JobPatch): void {
    this.versionedUpdate("job", "jobs", id, expectedVersion, ...jobSets(patch), () => undefined);
  }

  listJobs(query: JobQuery = {}): JobPage {
    const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 100)), 1000);
    const newest = (query.order ?? "newest") === "newest";
    const where: string[] = [];
    const values: SqlValue[] = [];
    if (query.status !== undefined) {
      where.push("status = ?");
      values.push(checkJobStatus(query.status));
    }
    if (query.updatedBefore !== undefined) {
      where.push("updated_at < ?");
      values.push(query.updatedBefore);
    }
    if (query.cursor !== undefined) {
      const [updatedAt, id] = decodeCursor(query.cursor);
      where.push(newest ? "(updated_at, id) < (?, ?)" : "(updated_at, id) > (?, ?)");
      values.push(updatedAt, id);
    }
    const direction = newest ? "DESC" : "ASC";
    const sql =
      `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ` +
      `ORDER BY updated_at ${direction}, id ${direction} LIMIT ?`;
    const jobs = this.h.stmt(sql).all(...values, limit).map(toJob);
    const last = jobs[jobs.length - 1];
    return jobs.length === limit && last ? { jobs, cursor: encodeCursor(last.updatedAt, last.id) } : { jobs };
  }

  countJobsByStatus(): Record<JobStatus, number> {
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const row of this.h.stmt("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").all()) {
      const { status, n } = row as { status: string; n: number };
      if ((JOB_STATUSES as readonly string[]).includes(status)) counts[status as JobStatus] = n;
    }
    return counts;
  }

  getLaunch(id: string): LaunchRecord | undefined {
    const row = this.h.stmt("SELECT * FROM launches WHERE id = ?").get(id);
    return row === undefined ? undefined : toLaunch(row);
  }

  putLaunch(launch: NewLaunch): boolean {
    // Named columns only: whatever else the caller's object carries (a JIT config by mistake) is never written.
    const result = this.h
      .stmt(
        `INSERT INTO launches (id, job_id, attempt, backend, arch, provider_id, runner_name, state, error, outcome,
           spot_interrupted, fallback_from, standby, handoff_from, requested_at, launched_at, started_at, stopped_at,
           updated_at, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (id) DO NOTHING`,
      )
      .run(
        launchId(launch.jobId, launch.attempt), launch.jobId, launch.attempt, launch.backend, launch.arch,
        launch.providerId ?? null, launch.runnerName, launch.state ?? "requested", encodeJson(launch.error ?? null),
        encodeJson(launch.outcome ?? null), launch.spotInterrupted ? 1 : 0, launch.fallbackFrom ?? null,
        encodeJson(launch.standby ?? null), launch.handoffFrom ?? null, launch.requestedAt, launch.launchedAt ?? null,
        launch.startedAt ?? null, launch.stoppedAt ?? null, this.clock.now(),
      );
    return result.changes === 1;
  }

  updateLaunch(id: string, expectedVersion: number, patch: LaunchPatch): LaunchRecord {
    const sets: string[] = [];
    const values: SqlValue[] = [];
    for (const [field, column] of Object.entries(LAUNCH_COLUMNS) as [keyof LaunchPatch, string][]) {
      if (!(field in patch) || patch[field] === undefined) continue;
      sets.push(`${column} = ?`);
      const value = patch[field];
      values.push(
        field === "error" || field === "outcome" || field === "standby" ? encodeJson(value ?? null) : typeof value === "boolean" ? (value ? 1 : 0) : (value as SqlValue),
      );
    }
    return this.versionedUpdate("launch", "launches", id, expectedVersion, sets, values, toLaunch);
  }

  listLaunches(jobId: number): LaunchRecord[] {
    return this.h.stmt("SELECT * FROM launches WHERE job_id = ? ORDER BY attempt").all(jobId).map(toLaunch);
  }

  listLaunchesByState(states: readonly LaunchPhase[], limit = 1000): LaunchRecord[] {
    if (states.length === 0) return [];
    const marks = states.map(() => "?").join(", ");
    return this.h
      .stmt(`SELECT * FROM launches WHERE state IN (${marks}) ORDER BY requested_at, id LIMIT ?`)
      .all(...states, Math.max(1, Math.floor(limit)))
      .map(toLaunch);
  }

  countActiveLaunches(filter: { backend?: Backend } = {}): number {
    const marks = ACTIVE_LAUNCH_PHASES.map(() => "?").join(", ");
    const row =
      filter.backend === undefined
        ? this.h.stmt(`SELECT COUNT(*) AS n FROM launches WHERE state IN (${marks})`).get(...ACTIVE_LAUNCH_PHASES)
        : this.h
            .stmt(`SELECT COUNT(*) AS n FROM launches WHERE state IN (${marks}) AND backend = ?`)
            .get(...ACTIVE_LAUNCH_PHASES, filter.backend);
    return (row as { n: number }).n;
  }

  /**
   * Unindexed: only AWS state-change events ask (serverless mode, which runs on DynamoDB), never a hot path here. A
   * standby's task handed to a job is named by the standby's closed row and the job's: it is the job's.
   */
  findLaunchByProviderId(providerId: string): LaunchRecord | undefined {
    const row = this.h.stmt(`SELECT * FROM launches WHERE provider_id = ? ORDER BY job_id = ${NO_JOB}, attempt DESC LIMIT 1`).get(providerId);
    return row === undefined ? undefined : toLaunch(row);
  }

  recordDelivery(guid: string, info: DeliveryInfo): "new" | "duplicate" {
    const result = this.h
      .stmt(
        "INSERT INTO deliveries (guid, event, action, job_id, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (guid) DO NOTHING",
      )
      .run(guid, info.event, info.action, info.jobId ?? null, info.receivedAt);
    return result.changes === 1 ? "new" : "duplicate";
  }

  getDelivery(guid: string): DeliveryRecord | undefined {
    const row = this.h.stmt("SELECT * FROM deliveries WHERE guid = ?").get(guid) as
      | { guid: string; event: string; action: string | null; job_id: number | null; received_at: number }
      | undefined;
    return row && { guid: row.guid, event: row.event, action: row.action, jobId: row.job_id, receivedAt: row.received_at };
  }

  pruneDeliveries(maxAgeMs: number): number {
    checkDeliveryRetention(maxAgeMs);
    return this.h.stmt("DELETE FROM deliveries WHERE received_at < ?").run(this.clock.now() - maxAgeMs).changes;
  }

  getMeta(key: string): string | undefined {
    const row = this.h.stmt("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  putMeta(key: string, value: string): void {
    this.h
      .stmt("INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
      .run(key, value, this.clock.now());
  }

  /** Through the partial index jobs_by_rerun: only jobs tornade re-ran are in it. */
  findRerunBackend(runId: number, name: string, beforeAttempt: number): Backend | undefined {
    const row = this.h
      .stmt(
        `SELECT rerun_backend FROM jobs WHERE run_id = ? AND name = ? AND run_attempt < ? AND rerun_backend IS NOT NULL
         ORDER BY run_attempt DESC LIMIT 1`,
      )
      .get(runId, name, beforeAttempt) as { rerun_backend: string } | undefined;
    return BACKENDS.find((b) => b === row?.rerun_backend);
  }

  /** `UPDATE ... WHERE version = expected`, the SQL twin of a DynamoDB condition expression. */
  private versionedUpdate<T>(
    entity: "job" | "launch",
    table: "jobs" | "launches",
    id: string | number,
    expectedVersion: number,
    sets: string[],
    values: SqlValue[],
    map: (row: unknown) => T,
  ): T {
    const sql =
      `UPDATE ${table} SET ${[...sets, "updated_at = ?", "version = version + 1"].join(", ")} ` +
      "WHERE id = ? AND version = ? RETURNING *";
    const row = this.h.stmt(sql).get(...values, this.clock.now(), id, expectedVersion);
    if (row !== undefined) return map(row);
    const current = this.h.stmt(`SELECT version FROM ${table} WHERE id = ?`).get(id) as { version: number } | undefined;
    throw new VersionConflict(entity, id, expectedVersion, current?.version ?? null);
  }
}

function jobSets(patch: JobPatch): [string[], SqlValue[]] {
  const sets: string[] = [];
  const values: SqlValue[] = [];
  for (const [field, column] of Object.entries(JOB_COLUMNS) as [keyof typeof JOB_COLUMNS, string][]) {
    if (!(field in patch) || patch[field] === undefined) continue;
    sets.push(`${column} = ?`);
    values.push(jobValue(field, patch[field]));
  }
  return [sets, values];
}

function jobValue(field: keyof typeof JOB_COLUMNS, value: unknown): SqlValue {
  if (field === "labels") return JSON.stringify(value);
  if (field === "decision") return encodeJson(value ?? null);
  if (field === "status") return checkJobStatus(value as JobStatus);
  return value as SqlValue;
}
