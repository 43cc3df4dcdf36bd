/**
 * The SQLite store's files are readable by their owner only: the database, its -wal and its -shm, whether tornade
 * creates them or finds them left wider by an older version.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { systemClock } from "../clock/clock.js";
import { openSqlite } from "./sqlite.js";
import { sqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-modes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const modeOf = (path: string) => statSync(path).mode & 0o777;
const files = (path: string) => [path, `${path}-wal`, `${path}-shm`];

async function write(path: string): Promise<void> {
  const handle = openSqlite(path);
  // A write, so the WAL and its index exist on disk while the handle is open.
  await sqliteStore(handle, systemClock).putMeta("probe", "1");
  for (const f of files(path)) expect(existsSync(f), f).toBe(true);
  for (const f of files(path)) expect(modeOf(f), f).toBe(0o600);
  handle.close();
}

describe("SQLite file modes", () => {
  it("creates the database, its WAL and its shared-memory index 0600, whatever the umask lets through", async () => {
    const old = process.umask(0o002);
    try {
      await write(join(dir, "fresh.db"));
    } finally {
      process.umask(old);
    }
  });

  it("tightens files an older tornade left readable by others", async () => {
    const path = join(dir, "old.db");
    // Empty files are a valid new database, an empty WAL and an index SQLite rebuilds.
    for (const [f, mode] of [[path, 0o644], [`${path}-wal`, 0o666], [`${path}-shm`, 0o640]] as const) {
      writeFileSync(f, "");
      chmodSync(f, mode);
    }
    await write(path);
  });
});
