/**
 * The SQLite file holds every job, repository name and AWS error text tornade has seen: readable by its owner only.
 * SQLite creates a new database file 0644 (SQLITE_DEFAULT_FILE_PERMISSIONS) and gives its -wal and -shm files the
 * database file's own mode ("Write-Ahead Logging" / os_unix.c findCreateFileMode), so creating the database file
 * 0600 before SQLite opens it, and taking group and other access from files an older tornade left, covers all three.
 */
import { chmodSync, closeSync, existsSync, openSync, statSync } from "node:fs";

export const STORE_FILE_MODE = 0o600;

/** Creates `path` 0600 if absent; tightens it and its -wal / -shm to 0600 if they exist with wider modes. */
export function privateDatabaseFile(path: string): void {
  if (path === ":memory:" || path === "" || path.startsWith("file:")) return;
  // "a" creates without truncating; the mode applies only to a file this call creates.
  closeSync(openSync(path, "a", STORE_FILE_MODE));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) === 0) continue;
    try {
      chmodSync(file, STORE_FILE_MODE);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new Error(`${file} is readable by other users (mode ${mode.toString(8)}) and tornade cannot change that (${code}). Fix: chmod 600 ${file}`);
    }
  }
}
