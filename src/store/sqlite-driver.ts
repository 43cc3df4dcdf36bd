/**
 * better-sqlite3, the version that is safe on the Node.js this process runs.
 *
 * - Node.js ≥ 22 (production: the container image and Lambda run 24): better-sqlite3 13, on Node-API. Version 12
 *   wraps its objects with the raw `node::ObjectWrap`, whose destructor Node 24.19+ made call
 *   `RemoveEnvironmentCleanupHook`; when V8 finalizes a statement after the environment is gone (at process exit) Node
 *   aborts with "Assertion failed: (env) != nullptr" (nodejs/node#65446; better-sqlite3 13 moved to node-addon-api).
 *   Seen here: `tornade serve`'s test processes on Node 24.21 aborted at exit about half the time.
 * - Node.js 20 (tested too, past its end of life): better-sqlite3 12, installed under the alias
 *   `better-sqlite3-node20` (package.json). Version 13 requires Node 22 and crashes on 20.
 * The two share one API for everything tornade uses (prepare, transaction, exec, pragma, run, get, all, close), so
 * the rest of the code imports the type and the constructor from here, never from the package.
 */
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

export type SqliteDatabase = BetterSqlite3.Database;
export type SqliteStatement = BetterSqlite3.Statement;
export type SqliteOptions = BetterSqlite3.Options;

const NODE_MAJOR = Number(process.versions.node.split(".")[0]);
/** Which package serves this Node.js (both are dependencies of tornade). */
export const SQLITE_PACKAGE = NODE_MAJOR >= 22 ? "better-sqlite3" : "better-sqlite3-node20";

const load = createRequire(import.meta.url);
let Database: typeof BetterSqlite3 | undefined;

/**
 * Opens (or creates) a SQLite database file. The package is loaded on the first call, not on import: the Lambda
 * bundle reaches this module (through controller/build-state.ts) but never opens a database, and carries neither
 * package — a require at import would fail there.
 */
export function openDatabase(path: string, options?: SqliteOptions): SqliteDatabase {
  // Written out, not load(SQLITE_PACKAGE): the production import walk (test/build) reads which packages are loaded.
  Database ??= (NODE_MAJOR >= 22 ? load("better-sqlite3") : load("better-sqlite3-node20")) as typeof BetterSqlite3;
  return new Database(path, options);
}

/**
 * Where the package's entry is, for a worker thread that opens its own connection (sqlite-checkpointer.ts): a worker
 * evaluated from a string has no module of ours to resolve from.
 */
export function driverEntry(): string {
  return NODE_MAJOR >= 22 ? load.resolve("better-sqlite3") : load.resolve("better-sqlite3-node20");
}
