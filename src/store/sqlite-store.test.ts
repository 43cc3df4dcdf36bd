import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { SCHEMA_VERSION, openSqlite } from "./sqlite.js";
import { sqliteStore } from "./sqlite-store.js";
import { sampleJob, sampleLaunch, storeContract } from "./store.contract.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `store-${n++}.db`);

storeContract("sqlite", async () => {
  const clock = scaledClock(100);
  const store = sqliteStore(freshPath(), clock);
  return { store, clock, cleanup: () => store.close() };
});

describe("sqlite store specifics", () => {
  it("keeps everything across close and reopen, and migrates once (user_version)", async () => {
    const path = freshPath();
    const clock = scaledClock(1);
    const first = sqliteStore(path, clock);
    await first.createJobIfAbsent(sampleJob(1));
    await first.putLaunch(sampleLaunch(1, 1));
    await first.putMeta("k", "v");
    await first.close();
    expect(first.handle.closed).toBe(true);

    const second = sqliteStore(path, clock);
    expect(SCHEMA_VERSION).toBe(7);
    expect(Number(second.handle.db.pragma("user_version", { simple: true }))).toBe(SCHEMA_VERSION);
    expect(String(second.handle.db.pragma("journal_mode", { simple: true }))).toBe("wal");
    // 2 = FULL: every commit is synced (see sqlite.ts for why).
    expect(Number(second.handle.db.pragma("synchronous", { simple: true }))).toBe(2);
    expect((await second.getJob(1))?.name).toBe("build 1");
    expect((await second.getLaunch("1-1"))?.runnerName).toBe("tornade-1-1");
    expect(await second.getMeta("k")).toBe("v");
    await second.close();
  });

  it("refuses a database written by a newer schema, naming the fix", () => {
    const path = freshPath();
    const handle = openSqlite(path);
    handle.db.pragma("user_version = 99");
    handle.close();
    expect(() => openSqlite(path)).toThrow(/schema version 99.*upgrade tornade/);
  });

  it("never writes a secret a caller's launch object happens to carry", async () => {
    const path = freshPath();
    const store = sqliteStore(path, scaledClock(1));
    const secret = "eyJKSVQtQ09ORklHLVNFQ1JFVCJ9-do-not-store";
    const launch = { ...sampleLaunch(1, 1), jitConfig: secret, token: secret };
    await store.putLaunch(launch);
    store.handle.db.pragma("wal_checkpoint(TRUNCATE)");
    const rows = JSON.stringify(store.handle.db.prepare("SELECT * FROM launches").all());
    expect(rows).toContain("tornade-1-1");
    expect(rows).not.toContain(secret);
    await store.close();
  });

  it("lets two connections to one file race on insert-if-absent and versions with one winner each", async () => {
    const path = freshPath();
    const clock = scaledClock(1);
    const a = sqliteStore(path, clock);
    const b = sqliteStore(path, clock);
    const created = [await a.createJobIfAbsent(sampleJob(1)), await b.createJobIfAbsent(sampleJob(1))];
    expect(created).toEqual([true, false]);
    await a.updateJob(1, 1, { status: "in_progress" });
    await expect(b.updateJob(1, 1, { status: "completed" })).rejects.toMatchObject({ actual: 2 });
    expect(await b.recordDelivery("g", { event: "workflow_job", action: "queued", receivedAt: 1 })).toBe("new");
    expect(await a.recordDelivery("g", { event: "workflow_job", action: "queued", receivedAt: 1 })).toBe("duplicate");
    await a.close();
    await b.close();
  });

  it("rejects a cursor it did not issue with an actionable message", async () => {
    const store = sqliteStore(freshPath(), scaledClock(1));
    await expect(store.listJobs({ cursor: "garbage" })).rejects.toThrow(/start again without a cursor/);
    await store.close();
  });
});
