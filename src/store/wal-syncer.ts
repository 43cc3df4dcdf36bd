/**
 * Syncs a WAL file from libuv's thread pool for the group commit of sqlite.ts (`durable`): what a caller committed
 * before calling `sync` is on the disk when it resolves. The WAL is one file that SQLite only appends to (or restarts
 * from its start after a complete checkpoint, which synced both files first), so a sync that *starts after* a commit
 * makes it durable. The file stays the same while the connection is open: SQLite deletes the WAL only when the last
 * connection closes.
 *
 * Coalescing, with up to two syncs in flight: a caller with no sync running starts one at once; a caller that arrives
 * while one runs cannot use it (it may have started before its commit) and shares the next, which starts once this
 * turn of the event loop and its setImmediate callbacks are done — not when the running one ends — so every commit of
 * the turn (and the intake's group commit, made on setImmediate) shares it and nobody
 * waits for a running sync *and then* its own. With two in flight, the next starts as soon as either ends. Before
 * (one at a time), a delivery that came during a sync waited for the rest of it, then for the main thread to run its
 * callback (late when the loop is busy), then for a whole sync more (docs/performance.md "2026-12-06, second pass").
 */
import { closeSync, fdatasync, fstatSync, openSync } from "node:fs";

/** Syncs in flight at once: one running and the one shared by everyone who committed since it started. */
const MAX_IN_FLIGHT = 2;

export interface WalSyncer {
  sync(): Promise<void>;
  close(): void;
  /** How many syncs have started. */
  readonly started: number;
}

interface Shared {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function shared(): Shared {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

export function walSyncer(
  walPath: string,
  /** Told the WAL's size after a sync, while it returns a function to tell. */
  watcher: () => ((walBytes: number) => void) | undefined,
): WalSyncer {
  let started = 0;
  let fd: number | undefined;
  let closed = false;
  let inFlight = 0;
  /** The sync not started yet, shared by every caller since the last one started. */
  let next: Shared | undefined;

  const closeIfDone = () => {
    if (!closed || inFlight > 0 || fd === undefined) return;
    closeSync(fd);
    fd = undefined;
  };
  const launch = (waiters: Shared) => {
    let f: number;
    try {
      f = fd ??= openSync(walPath, "r");
    } catch (e) {
      return waiters.reject(e);
    }
    started++;
    inFlight++;
    fdatasync(f, (err) => {
      inFlight--;
      if (err) waiters.reject(err);
      else {
        const tell = watcher();
        if (tell && !closed) tell(fstatSync(f).size);
        waiters.resolve();
      }
      kick();
      closeIfDone();
    });
  };
  const kick = () => {
    if (!next || inFlight >= MAX_IN_FLIGHT) return;
    const waiters = next;
    next = undefined;
    // Closing the last connection checkpoints the WAL into the database file and syncs it.
    if (closed) return waiters.resolve();
    launch(waiters);
  };
  return {
    sync() {
      if (closed) return Promise.resolve();
      if (inFlight === 0 && !next) {
        const waiters = shared();
        launch(waiters);
        return waiters.promise;
      }
      if (!next) {
        next = shared();
        // Two turns of setImmediate: the intake's group commit flushes on setImmediate (intake.ts), and deliveries
        // taken in this turn should commit before the sync they wait for starts.
        setImmediate(() => setImmediate(kick));
      }
      return next.promise;
    },
    get started() {
      return started;
    },
    close() {
      closed = true;
      kick();
      // A sync still running keeps the descriptor until it is done.
      closeIfDone();
    },
  };
}
