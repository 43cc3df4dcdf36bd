/**
 * Checkpoints the WAL from a worker thread, so the event loop that answers webhooks never runs one.
 *
 * Why: SQLite checkpoints a WAL database in the commit that takes the WAL past `wal_autocheckpoint` pages (1,000 by
 * default), on the committing connection's thread. A checkpoint syncs the WAL, copies its pages into the database
 * file and syncs that: measured with strace under the intake benchmark (1,000 deliveries/s), the main thread ran one
 * every 1.3–2.4 s and each held the event loop ~30 ms — and every delivery that arrived meanwhile waited for it, then
 * for the next WAL sync (docs/performance.md "2026-12-06, second pass").
 *
 * Here a second connection, on a worker thread, runs `PRAGMA wal_checkpoint(PASSIVE)` every second: PASSIVE
 * never blocks the main connection's writers or readers (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html), and a
 * pass with nothing new to copy is a few microseconds. The checkpoint is as durable as SQLite's own (it syncs the WAL
 * before and the database after copying, and records the progress only then), and the main connection restarts the
 * WAL from its start at its first write after a complete one, as it does after its own. The main connection keeps an
 * automatic checkpoint as a backstop (`BACKSTOP_PAGES`): if commits keep landing while each pass runs, the WAL never
 * comes back to its start; at that size the main thread checkpoints the little that is left and the WAL restarts.
 */
import { Worker } from "node:worker_threads";
import type { SqliteDatabase } from "./sqlite-driver.js";
import { driverEntry } from "./sqlite-driver.js";

/** The main connection's own automatic checkpoint once the worker's are in charge: 10,000 pages, ~40 MB of WAL. */
export const BACKSTOP_PAGES = 10_000;

const CLOSE_WAIT_MS = 2_000;
/**
 * How often the worker checkpoints. Not much more often: after each complete checkpoint the main connection's next
 * commit restarts the WAL, and SQLite syncs the WAL's new header in that commit, on the main thread (cheap, as the
 * group commit's syncs keep the WAL synced, but a sync all the same; measured: every 0.25 s at 100 ms).
 */
const INTERVAL_MS = 1_000;

export interface Checkpointer {
  /** Passes that copied at least one page. */
  readonly passes: number;
  close(): void;
}

// CommonJS, evaluated in the worker: it has no file of its own (the same text serves the compiled package and tsx).
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("synchronous = FULL");
// Never checkpoint on this connection's own (it writes nothing anyway).
db.pragma("wal_autocheckpoint = 0");
const closed = new Int32Array(workerData.closed);
let last = -1;
const pass = () => {
  try {
    const [r] = db.pragma("wal_checkpoint(PASSIVE)");
    if (r && r.checkpointed > 0 && r.checkpointed !== last) parentPort.postMessage("pass");
    last = r ? r.checkpointed : -1;
  } catch (e) {
    parentPort.postMessage("error: " + String(e && e.message || e));
  }
};
const timer = setInterval(pass, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  db.close();
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
});
`;

/** Starts checkpointing `path` from a worker thread and moves the main connection `db`'s own checkpoint to the backstop. */
export function startCheckpointer(db: SqliteDatabase, path: string, options: { intervalMs?: number; onError?: (message: string) => void } = {}): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  let passes = 0;
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { driver: driverEntry(), path, intervalMs: options.intervalMs ?? INTERVAL_MS, closed: closed.buffer },
    // A thread that only runs pragmas: a small heap keeps its share of the process's memory small.
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
  });
  // It never keeps the process alive: closing the database (or exiting) is what ends it.
  worker.unref();
  worker.on("message", (m: string) => {
    if (m === "pass") passes++;
    else options.onError?.(m);
  });
  // If the thread dies the main connection's backstop still checkpoints: slower answers, nothing lost.
  let gone = false;
  worker.on("error", (e) => options.onError?.(String(e)));
  worker.on("exit", () => (gone = true));
  return {
    get passes() {
      return passes;
    },
    /**
     * Closes the worker's connection before returning, so the main connection's close is the last one (which
     * checkpoints everything and removes the WAL, as without a worker). Bounded: a worker that does not answer in
     * CLOSE_WAIT_MS (a pass stuck on a slow disk) is left to end with the process; the next open recovers its WAL.
     */
    close() {
      if (gone) return;
      worker.postMessage("close");
      Atomics.wait(closed, 0, 0, CLOSE_WAIT_MS);
      void worker.terminate();
    },
  };
}
