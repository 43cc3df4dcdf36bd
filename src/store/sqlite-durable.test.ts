/** SqliteHandle.durable / durably: writes resolve after a sync of the WAL, and writes made together share one. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { sqliteQueue } from "../queue/sqlite-queue.js";
import { sqliteIntake } from "./intake.js";
import { openSqlite } from "./sqlite.js";
import { sqliteStore } from "./sqlite-store.js";
import { sampleJob } from "./store.contract.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-durable-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `durable-${n++}.db`);
const FULL = 2;

describe("durable writes", () => {
  it("resolve after a sync; writes made while one runs share the next one", async () => {
    const h = openSqlite(freshPath());
    const store = sqliteStore(h, scaledClock(1));
    await store.createJobIfAbsent(sampleJob(1));
    expect(h.syncs).toBe(1);

    // The first starts a sync; the 99 others, committed while it may already run, all wait for one more.
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.createJobIfAbsent(sampleJob(i + 2))));
    expect(h.syncs).toBe(3);
    expect((await store.listJobs({ limit: 1000 })).jobs).toHaveLength(101);
    // The handle is back at FULL for whoever commits through it directly.
    expect(Number(h.db.pragma("synchronous", { simple: true }))).toBe(FULL);
    await store.close();
  });

  it("share the sync across the store, the queue and the intake of one handle", async () => {
    const h = openSqlite(freshPath());
    const clock = scaledClock(1);
    const store = sqliteStore(h, clock);
    const queue = sqliteQueue(h, clock);
    const intake = sqliteIntake(store, queue);
    await store.putMeta("warm", "1");
    const before = h.syncs;
    await Promise.all([
      store.putMeta("k", "v"),
      queue.enqueue({ key: "job:1", kind: "reconcile" }),
      intake.apply({ delivery: { guid: "g-1", event: "workflow_job", action: "queued", jobId: 7, receivedAt: 0 }, job: { create: sampleJob(7) } }),
      intake.apply({ delivery: { guid: "g-2", event: "workflow_job", action: "queued", jobId: 8, receivedAt: 0 }, job: { create: sampleJob(8) } }),
    ]);
    expect(h.syncs - before).toBeLessThanOrEqual(2);
    expect(await store.getMeta("k")).toBe("v");
    expect((await store.getJob(8))?.id).toBe(8);
    expect((await queue.depth()).pending).toBe(1);
    await queue.close();
    await store.close();
  });

  it("need no sync where nothing is synced: an in-memory database, durability normal, a closed handle", async () => {
    const memory = openSqlite(":memory:");
    await memory.durably(() => memory.stmt("INSERT INTO meta (key, value, updated_at) VALUES ('a', 'b', 0)").run());
    expect(memory.syncs).toBe(0);
    memory.close();

    const normal = openSqlite(freshPath(), { durability: "normal" });
    await normal.durably(() => normal.stmt("INSERT INTO meta (key, value, updated_at) VALUES ('a', 'b', 0)").run());
    expect(normal.syncs).toBe(0);
    normal.close();

    const closed = openSqlite(freshPath());
    closed.close();
    await expect(closed.durable()).resolves.toBeUndefined();
    expect(closed.syncs).toBe(0);
  });

  it("move the WAL's checkpoints to a worker thread once it has grown, and lose nothing", async () => {
    const path = freshPath();
    const h = openSqlite(path);
    const put = h.stmt("INSERT INTO meta (key, value, updated_at) VALUES (?, ?, 0)");
    const value = "x".repeat(3000);
    // ~4 MB of WAL in 400 synced commits of 10 rows: past the 1 MB that starts the worker, and past SQLite's own
    // 1,000-page checkpoint, which the main connection no longer runs (its backstop is 10,000 pages).
    let written = 0;
    for (let commit = 0; commit < 400; commit++) {
      await h.durably(() => h.tx(() => {
        for (let i = 0; i < 10; i++) put.run(`k${written++}`, value);
      }));
      if (h.checkpoints > 0 && commit >= 200) break;
    }
    for (let i = 0; h.checkpoints === 0 && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
    expect(h.checkpoints).toBeGreaterThan(0);
    expect(Number(h.db.pragma("wal_autocheckpoint", { simple: true }))).toBe(10_000);
    h.close();
    // The main connection's close was the last one: it checkpointed the rest and removed the WAL, as without a worker.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const again = openSqlite(path);
    expect(again.db.prepare("SELECT count(*) AS n FROM meta").get()).toEqual({ n: written });
    again.close();
  });
});
