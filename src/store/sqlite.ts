import { startCheckpointer, type Checkpointer } from "./sqlite-checkpointer.js";
import { openDatabase, type SqliteDatabase, type SqliteStatement } from "./sqlite-driver.js";
import { privateDatabaseFile } from "./sqlite-file.js";
import { migrateToTypedState } from "./sqlite-typed-state.js";
import { walSyncer } from "./wal-syncer.js";

/**
 * One SQLite database file shared by the embedded store and queue (sqlite-store.ts, ../queue/sqlite-queue.ts).
 *
 * Sharing one connection is what lets the webhook intake record the delivery, write the job and enqueue its
 * reconcile in ONE transaction (intake.ts). better-sqlite3 is synchronous, so a transaction never interleaves with
 * other work of this process; other processes on the same file wait up to `busy_timeout`.
 *
 * Durability: journal_mode=WAL with synchronous=FULL by default. SQLite documents that in WAL mode with
 * synchronous=NORMAL "a transaction committed in WAL mode with synchronous=NORMAL might roll back following a power
 * loss or system crash", while FULL adds "an additional sync operation of the WAL file ... after each transaction
 * commit" so that commits are durable (https://www.sqlite.org/pragma.html#pragma_synchronous,
 * https://www.sqlite.org/wal.html#performance_considerations). tornade answers GitHub's webhook only after the write
 * commits, and GitHub does not redeliver a delivery it got a 2xx for, so an acknowledged write must survive a host
 * crash: FULL. Measured on the 2-core dev machine (ext4): ~6,400 single-row commits/s with FULL, enough for the
 * 3,000 intakes/s target; `durability: "normal"` (~100,000/s, survives process crashes but not power loss) exists for
 * tests and benchmarks that say so.
 *
 * The async Store and Queue writes and the intake get FULL's guarantee without FULL's cost on the event loop: they
 * commit at NORMAL and wait for one fdatasync of the WAL on the thread pool, shared by every commit made meanwhile
 * (`durably`, `durable`; docs/performance.md "The hot path").
 */
export interface SqliteHandle {
  readonly db: SqliteDatabase;
  readonly path: string;
  /** A prepared statement, compiled once per SQL text. */
  stmt(sql: string): SqliteStatement;
  /** Runs `fn` in a BEGIN IMMEDIATE transaction (nested calls become savepoints). */
  tx<T>(fn: () => T): T;
  /**
   * Runs `fn` (one statement or one `tx`) with synchronous=NORMAL: its commit does not wait for the disk, and
   * becomes durable with the next synced commit (the WAL is one append-only file, so syncing it syncs every frame
   * before). For writes whose loss on a power cut is harmless because they are redone — the queue's leases and
   * acknowledgements: a lost ack means one more (idempotent) look at a job, a lost lease means the item is received
   * again. A process crash loses nothing either way (https://www.sqlite.org/pragma.html#pragma_synchronous).
   */
  relaxed<T>(fn: () => T): T;
  /**
   * Runs `fn` as `relaxed` does, then resolves once it is on the disk: the same guarantee as a commit at FULL, but the
   * sync runs on libuv's thread pool instead of blocking the event loop, and every commit made before a sync started
   * shares that sync (group commit across the whole process: concurrent webhooks, workers, rounds). What an async
   * Store or Queue write resolves with is durable, as before.
   */
  durably<T>(fn: () => T): Promise<T>;
  /** Resolves once every commit made before the call is on the disk (one fdatasync of the WAL, shared by callers). */
  durable(): Promise<void>;
  /** How many syncs `durable` has started: fewer than the writes it made durable when they shared them. */
  readonly syncs: number;
  /** Checkpoints the worker thread ran that copied pages (sqlite-checkpointer.ts); 0 until the WAL has grown. */
  readonly checkpoints: number;
  /** Counted by every store and queue built on this handle; the database closes when the last one lets go. */
  retain(): void;
  release(): void;
  close(): void;
  readonly closed: boolean;
}

export interface SqliteOptions {
  /** "full" (default): every commit is synced. "normal": survives process crashes, not power loss. */
  readonly durability?: "full" | "normal";
  /** How long to wait for another process's write lock, ms. Default 5000. */
  readonly busyTimeoutMs?: number;
}

/**
 * Schema migrations, applied in order; PRAGMA user_version records how many ran. Append only: never edit a shipped
 * step. Store and queue tables share the list because they share the file (and the version number).
 */
export const MIGRATIONS: readonly (string | ((db: SqliteDatabase) => void))[] = [
  `CREATE TABLE jobs (
     id INTEGER PRIMARY KEY,
     run_id INTEGER NOT NULL,
     run_attempt INTEGER NOT NULL,
     repository TEXT NOT NULL,
     owner TEXT NOT NULL,
     repo TEXT NOT NULL,
     installation_id INTEGER NOT NULL,
     labels TEXT NOT NULL,
     name TEXT NOT NULL,
     workflow_name TEXT,
     status TEXT NOT NULL,
     conclusion TEXT,
     runner_name TEXT,
     decision TEXT,
     created_at INTEGER NOT NULL,
     received_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     version INTEGER NOT NULL
   );
   CREATE INDEX jobs_by_updated ON jobs (updated_at, id);
   CREATE INDEX jobs_by_status_updated ON jobs (status, updated_at, id);
   CREATE TABLE launches (
     id TEXT PRIMARY KEY,
     job_id INTEGER NOT NULL,
     attempt INTEGER NOT NULL,
     backend TEXT NOT NULL,
     arch TEXT NOT NULL,
     provider_id TEXT,
     runner_name TEXT NOT NULL,
     state TEXT NOT NULL,
     error TEXT,
     spot_interrupted INTEGER NOT NULL,
     fallback_from TEXT,
     requested_at INTEGER NOT NULL,
     launched_at INTEGER,
     started_at INTEGER,
     stopped_at INTEGER,
     updated_at INTEGER NOT NULL,
     version INTEGER NOT NULL
   );
   CREATE INDEX launches_by_job ON launches (job_id, attempt);
   CREATE INDEX launches_by_state ON launches (state, requested_at, id);
   CREATE TABLE deliveries (
     guid TEXT PRIMARY KEY,
     event TEXT NOT NULL,
     action TEXT,
     job_id INTEGER,
     received_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX deliveries_by_received ON deliveries (received_at);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;`,
  // The queue: one row per item. receipt IS NULL = pending (visible at visible_at); receipt set = leased until
  // visible_at; dead = 1 = in the dead letters.
  `CREATE TABLE queue_items (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     key TEXT NOT NULL,
     kind TEXT NOT NULL,
     payload TEXT,
     visible_at INTEGER NOT NULL,
     receipt TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     dead INTEGER NOT NULL DEFAULT 0,
     enqueued_at INTEGER NOT NULL,
     died_at INTEGER
   );
   -- Coalescing: at most one pending item per key, enforced by the database.
   CREATE UNIQUE INDEX queue_one_pending_per_key ON queue_items (key) WHERE receipt IS NULL AND dead = 0;
   CREATE INDEX queue_ready ON queue_items (visible_at, id) WHERE receipt IS NULL AND dead = 0;
   CREATE INDEX queue_leased ON queue_items (visible_at) WHERE receipt IS NOT NULL AND dead = 0;
   CREATE INDEX queue_leased_keys ON queue_items (key) WHERE receipt IS NOT NULL AND dead = 0;
   CREATE INDEX queue_dead ON queue_items (died_at, id) WHERE dead = 1;`,
  // The moment a job started on its runner (GitHub's started_at): the dashboard's queued → started time.
  `ALTER TABLE jobs ADD COLUMN started_at INTEGER;`,
  // A launch's outcome and a job's re-run target as columns of their own, old rows rewritten (sqlite-typed-state.ts).
  migrateToTypedState,
  // The sweeper's memory (sweeper-memory.ts): failed deliveries it follows, runs whose jobs it listed.
  `CREATE TABLE failed_deliveries (
     guid TEXT PRIMARY KEY,
     delivery_id INTEGER NOT NULL,
     action TEXT,
     found_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL,
     tried_at INTEGER
   ) WITHOUT ROWID;
   CREATE TABLE looked_at_runs (
     repository TEXT NOT NULL,
     run_id INTEGER NOT NULL,
     looked_at INTEGER NOT NULL,
     settled INTEGER NOT NULL,
     PRIMARY KEY (repository, run_id)
   ) WITHOUT ROWID;
   CREATE INDEX looked_at_runs_by_time ON looked_at_runs (repository, looked_at);`,
  // Standby runners (docs/standby.md): a standby's part of its launch row (JSON), and the standby a job's launch was
  // handed to. Old rows are neither.
  `ALTER TABLE launches ADD COLUMN standby TEXT;
   ALTER TABLE launches ADD COLUMN handoff_from TEXT;`,
  // Leases (lease.ts): who holds each runner scale set's message session.
  `CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating if needed) and migrates the database at `path`. Pass the handle to sqliteStore and sqliteQueue. */
export function openSqlite(path: string, options: SqliteOptions = {}): SqliteHandle {
  privateDatabaseFile(path);
  const db = openDatabase(path);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (String(mode).toLowerCase() !== "wal" && path !== ":memory:") {
      throw new Error(`SQLite at ${path} refused WAL mode (got ${String(mode)}); put the database on a local filesystem`);
    }
    db.pragma(`synchronous = ${options.durability === "normal" ? "NORMAL" : "FULL"}`);
    db.pragma("foreign_keys = ON");
    migrate(db, path);
  } catch (error) {
    db.close();
    throw error;
  }

  const statements = new Map<string, SqliteStatement>();
  let users = 0;
  const full = options.durability !== "normal";
  // The WAL's checkpoints move to a worker thread once the WAL has grown past CHECKPOINTER_FROM_BYTES (a server under
  // load, not a short test): sqlite-checkpointer.ts.
  let checkpointer: Checkpointer | undefined;
  const grown = (walBytes: number) => {
    if (walBytes < CHECKPOINTER_FROM_BYTES || !db.open) return;
    // Its failure costs speed, not data (the main connection's backstop checkpoints): said once on stderr.
    let warned = false;
    const warn = (m: string) => {
      if (!warned) process.emitWarning(`SQLite's WAL checkpoints for ${path} on a worker thread failed (the main thread's backstop checkpoints instead): ${m}`);
      warned = true;
    };
    checkpointer = startCheckpointer(db, path, { onError: warn });
  };
  const syncer = full && path !== ":memory:" ? walSyncer(`${path}-wal`, () => (checkpointer ? undefined : grown)) : undefined;
  const handle: SqliteHandle = {
    db,
    path,
    stmt(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    tx(fn) {
      return db.transaction(fn).immediate();
    },
    relaxed(fn) {
      // Inside a transaction the commit belongs to the caller's; it keeps the caller's durability.
      if (!full || db.inTransaction) return fn();
      // exec, not a prepared statement: SQLite applies PRAGMA synchronous while compiling it, not when it runs.
      db.exec("PRAGMA synchronous = NORMAL");
      try {
        return fn();
      } finally {
        db.exec("PRAGMA synchronous = FULL");
      }
    },
    async durably(fn) {
      const result = handle.relaxed(fn);
      await handle.durable();
      return result;
    },
    durable() {
      return syncer ? syncer.sync() : Promise.resolve();
    },
    get syncs() {
      return syncer?.started ?? 0;
    },
    get checkpoints() {
      return checkpointer?.passes ?? 0;
    },
    retain() {
      if (!db.open) throw new Error(`SQLite database ${path} is closed`);
      users++;
    },
    release() {
      users--;
      if (users <= 0 && db.open) handle.close();
    },
    close() {
      checkpointer?.close();
      syncer?.close();
      if (db.open) db.close();
    },
    get closed() {
      return !db.open;
    },
  };
  return handle;
}

/** A WAL this large has seen a few checkpoints' worth of writes: 1 MB, a quarter of SQLite's default checkpoint. */
const CHECKPOINTER_FROM_BYTES = 1 << 20;

function migrate(db: SqliteDatabase, path: string): void {
  db.transaction(() => {
    const current = Number(db.pragma("user_version", { simple: true }));
    if (current > MIGRATIONS.length) {
      throw new Error(
        `SQLite at ${path} has schema version ${current}, newer than this tornade knows (${MIGRATIONS.length}); ` +
          "upgrade tornade or point it at another database file",
      );
    }
    for (let step = current; step < MIGRATIONS.length; step++) {
      const migration = MIGRATIONS[step] ?? "";
      if (typeof migration === "string") db.exec(migration);
      else migration(db);
    }
    if (current !== MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

/** Accepts either an open handle (shared) or a path (a handle of its own). */
export function sqliteHandleFor(target: SqliteHandle | string, options?: SqliteOptions): SqliteHandle {
  return typeof target === "string" ? openSqlite(target, options) : target;
}
