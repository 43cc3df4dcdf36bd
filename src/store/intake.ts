import type { EnqueueItem, Queue } from "../queue/queue.js";
import type { SqliteQueue } from "../queue/sqlite-queue.js";
import type { SqliteStore } from "./sqlite-store.js";
import { VersionConflict, type DeliveryInfo, type JobPatch, type JobRecord, type LaunchPatch, type LaunchRecord, type NewJob, type Store } from "./store.js";

/**
 * The write an observation causes: for a webhook delivery, remember its GUID, create or update the job, enqueue "look
 * at job N again"; for a runner's new state, update its launch row and enqueue the look at its job.
 *
 * Two implementations, one meaning:
 * - sqliteIntake: store and queue on one SQLite handle, all three in ONE transaction. Either everything is durable
 *   before the webhook is answered, or nothing is and the delivery is still "new" when GitHub (or the sweeper)
 *   redelivers it.
 * - sequentialIntake: any Store and Queue (DynamoDB + SQS cannot share a transaction). It writes the job, then
 *   enqueues, and records the delivery LAST: every step is idempotent (insert-if-absent, versioned update,
 *   coalescing enqueue), so a crash part-way leaves the GUID unrecorded and a redelivery simply redoes the steps.
 *
 * Why a declarative input rather than `store.transaction(async fn)`: better-sqlite3 transactions are synchronous, and
 * an async callback would let unrelated writes of this process slip into the transaction. `job.update` is the one
 * callback, and it must be pure and synchronous (decide the patch from the stored job, e.g. "never move a completed
 * job back to queued": webhooks arrive out of order).
 */
export interface Intake {
  apply(input: IntakeInput): Promise<IntakeResult>;
}

export interface IntakeInput {
  /**
   * `X-GitHub-Delivery` and what it carried, recorded so that a duplicate or redelivery is dropped. Absent for what
   * tornade read from GitHub's API (a job the sweeper found): nothing to dedupe, and every write is idempotent.
   */
  readonly delivery?: { readonly guid: string } & DeliveryInfo;
  /** The job the delivery is about: `create` is inserted if absent; otherwise `update` decides a patch or null. */
  readonly job?: {
    readonly create: NewJob;
    readonly update?: (current: JobRecord) => JobPatch | null;
    /**
     * Enqueued only when this write creates or changes the job: a delivery that changes nothing (its state already
     * recorded, or older than what is) asks for no look, since the look enqueued with the last change, in the same
     * transaction, already covers it. sequentialIntake enqueues them whatever the job did: an earlier apply of the same
     * delivery may have changed the job and died before enqueueing, and its redelivery finds the job "unchanged".
     */
    readonly onChange?: readonly EnqueueItem[];
  };
  /**
   * A runner's new state on its launch row (tracker.ts recordRunnerState), written against the version it was read at:
   * apply rejects with VersionConflict, writing nothing, when the row has moved since.
   */
  readonly launch?: { readonly id: string; readonly expectedVersion: number; readonly patch: LaunchPatch };
  /** Enqueued whatever the job did. */
  readonly enqueue?: readonly EnqueueItem[];
  /**
   * A look among the items above (its `key`) that is left out when `needed` says, from the job and its launches as
   * this write leaves them — read inside the same transaction, so no other write comes between — that it would find
   * nothing to do (core/look-needed.ts). `launchesOf` reads the launches, for when the job alone does not settle it.
   * SQLite only: sequentialIntake enqueues it anyway, its reads not being in one transaction with its writes.
   */
  readonly lookUnlessIdle?: {
    readonly key: string;
    readonly jobId: number;
    readonly needed: (job: JobRecord, launchesOf: () => readonly LaunchRecord[]) => boolean;
  };
  /**
   * Called once the writes are committed and something was enqueued, before `apply` resolves (which waits for the
   * disk): in-process workers can start on the item at once. Safe because whatever a worker then writes durably (the
   * launch row before any RunTask) syncs the WAL, and with it this commit, which came before.
   */
  readonly committed?: () => void;
}

export interface IntakeResult {
  /** "duplicate": this GUID was already taken in; nothing else was done. */
  readonly delivery: "new" | "duplicate";
  readonly job: "created" | "updated" | "unchanged" | "none";
  readonly enqueued: number;
}

const DUPLICATE: IntakeResult = { delivery: "duplicate", job: "none", enqueued: 0 };

export interface SqliteIntakeOptions {
  /**
   * Group commit (default true): applies that arrive in the same turn of the event loop (concurrent webhook requests)
   * share one transaction, each inside its own savepoint so one failure rolls back only its own writes. Either way the
   * commit does not block the event loop on the disk: its sync runs on the thread pool, shared with every commit made
   * while the previous sync ran (sqlite.ts `durably`). Every apply resolves only after the commit that holds it is
   * durable.
   */
  readonly groupCommit?: boolean;
}

/** One transaction on the handle that `store` and `queue` share (open both on one openSqlite() handle). */
export function sqliteIntake(store: SqliteStore, queue: SqliteQueue, options: SqliteIntakeOptions = {}): Intake {
  if (store.handle !== queue.handle) {
    throw new Error(
      "sqliteIntake needs the store and the queue on one SQLite handle: const db = openSqlite(path); " +
        "sqliteStore(db, clock); sqliteQueue(db, clock) — or use sequentialIntake",
    );
  }
  const one = (input: IntakeInput): IntakeResult => {
    if (input.delivery && store.sync.recordDelivery(input.delivery.guid, input.delivery) === "duplicate") return DUPLICATE;
    if (input.launch) store.sync.updateLaunch(input.launch.id, input.launch.expectedVersion, input.launch.patch);
    let job: IntakeResult["job"] = "none";
    if (input.job) {
      // Inside the transaction we hold SQLite's write lock: the row read here cannot move before the write. Read
      // first: most deliveries are about a job already stored (in_progress, completed), and an insert that conflicts
      // would encode the new row's JSON columns for nothing.
      const current = store.sync.getJob(input.job.create.id);
      if (!current) {
        job = store.sync.createJobIfAbsent(input.job.create) ? "created" : "unchanged";
      } else {
        job = "unchanged";
        const patch = input.job.update?.(current);
        if (patch) {
          store.sync.patchJob(current.id, current.version, patch);
          job = "updated";
        }
      }
    }
    const items = withoutIdleLook(input, job === "created" || job === "updated" ? [...(input.job?.onChange ?? []), ...(input.enqueue ?? [])] : (input.enqueue ?? []));
    for (const item of items) queue.sync.enqueue(item);
    return { delivery: "new", job, enqueued: items.length };
  };
  /** The items, less the look `lookUnlessIdle` names when that look would find nothing to do. */
  const withoutIdleLook = (input: IntakeInput, items: readonly EnqueueItem[]): readonly EnqueueItem[] => {
    const look = input.lookUnlessIdle;
    if (!look || !items.some((i) => i.key === look.key)) return items;
    const job = store.sync.getJob(look.jobId);
    if (!job || look.needed(job, () => store.sync.listLaunches(look.jobId))) return items;
    return items.filter((i) => i.key !== look.key);
  };
  const tellCommitted = (input: IntakeInput, result: IntakeResult) => {
    if (result.enqueued > 0) input.committed?.();
  };
  const h = store.handle;
  if (options.groupCommit === false) {
    return {
      apply: (input) =>
        h.durably(() => {
          const result = h.tx(() => one(input));
          tellCommitted(input, result);
          return result;
        }),
    };
  }

  interface Waiting {
    input: IntakeInput;
    resolve: (result: IntakeResult) => void;
    reject: (error: unknown) => void;
  }
  let waiting: Waiting[] = [];
  const flush = () => {
    const batch = waiting;
    waiting = [];
    const outcomes: ({ ok: true; result: IntakeResult } | { ok: false; error: unknown })[] = [];
    const settle = () =>
      batch.forEach((entry, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) entry.resolve(outcome.result);
        else entry.reject(outcome.error);
      });
    const fail = (error: unknown) => {
      for (const entry of batch) entry.reject(error);
    };
    h.durably(() => {
      h.tx(() => {
        for (const entry of batch) {
          try {
            // A nested better-sqlite3 transaction is a savepoint: a throw undoes only this delivery's writes.
            outcomes.push({ ok: true, result: h.tx(() => one(entry.input)) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
      batch.forEach((entry, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) tellCommitted(entry.input, outcome.result);
      });
    }).then(settle, fail);
  };
  return {
    apply(input) {
      return new Promise<IntakeResult>((resolve, reject) => {
        if (waiting.length === 0) setImmediate(flush);
        waiting.push({ input, resolve, reject });
      });
    },
  };
}

/** Any Store and Queue, step by step, GUID recorded last (see above). Retries the update on a version conflict. */
export function sequentialIntake(store: Store, queue: Queue, options: { maxConflictRetries?: number } = {}): Intake {
  const retries = options.maxConflictRetries ?? 5;
  return {
    async apply(input) {
      if (input.delivery && (await store.getDelivery(input.delivery.guid))) return DUPLICATE;
      if (input.launch) await store.updateLaunch(input.launch.id, input.launch.expectedVersion, input.launch.patch);
      let job: IntakeResult["job"] = "none";
      if (input.job) job = await upsertJob(store, input.job, retries);
      // onChange too, whatever the job did (see IntakeInput.job.onChange).
      const items = [...(input.job?.onChange ?? []), ...(input.enqueue ?? [])];
      for (const item of items) await queue.enqueue(item);
      if (items.length > 0) input.committed?.();
      const delivery = input.delivery ? await store.recordDelivery(input.delivery.guid, input.delivery) : "new";
      return { delivery, job, enqueued: items.length };
    },
  };
}

async function upsertJob(
  store: Store,
  job: NonNullable<IntakeInput["job"]>,
  retries: number,
): Promise<IntakeResult["job"]> {
  if (await store.createJobIfAbsent(job.create)) return "created";
  for (let attempt = 0; ; attempt++) {
    const current = await store.getJob(job.create.id);
    const patch = current && job.update?.(current);
    if (!current || !patch) return "unchanged";
    try {
      await store.updateJob(current.id, current.version, patch);
      return "updated";
    } catch (error) {
      if (!(error instanceof VersionConflict) || attempt >= retries) throw error;
    }
  }
}
