/**
 * Opening the store `tornade cost` reads: the SQLite file `tornade serve` writes. Before tornade's own opener runs
 * (which migrates the schema, i.e. writes), the file is looked at read-only, so that a wrong path is named as such —
 * missing, not a database, someone else's database — and never gets tornade's tables written into it.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { openDatabase } from "../store/sqlite-driver.js";
import type { Clock } from "../clock/clock.js";
import { openSqlite } from "../store/sqlite.js";
import { sqliteStore } from "../store/sqlite-store.js";
import type { Store } from "../store/store.js";

/** The store cannot be read; the message says what is wrong with which path, and the fix. */
export class CostStoreError extends Error {
  override readonly name = "CostStoreError";
}

/** Every SQLite 3 database file starts with these 16 bytes ("Database File Format", https://www.sqlite.org/fileformat.html). */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

const FIX = "Fix: point TORNADE_STORE_PATH (or store.path) at the SQLite file tornade serve writes (tornade.db in its working directory unless configured)";

export function openCostStore(path: string, clock: Clock): Store {
  const problem = whyNotAStore(path);
  if (problem) throw new CostStoreError(`${path} ${problem}. ${FIX}`);
  try {
    return sqliteStore(openSqlite(path), clock);
  } catch (err) {
    throw new CostStoreError(`${path} cannot be opened as tornade's store: ${(err as Error).message}. ${FIX}`);
  }
}

function whyNotAStore(path: string): string | undefined {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return "is a directory, not tornade's store file";
    size = st.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "does not exist: there is no store there" : `cannot be read (${code ?? (err as Error).message})`;
  }
  if (size === 0) return "is empty, not tornade's store";
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER)) return "is not a SQLite database (it does not start with SQLite's file header)";
  const db = openDatabase(path, { readonly: true, fileMustExist: true });
  try {
    const jobs = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").get();
    if (!jobs) return "is a SQLite database but not tornade's store (it has no jobs table)";
  } catch (err) {
    return `is not a readable SQLite database (${(err as Error).message})`;
  } finally {
    db.close();
  }
  return undefined;
}
