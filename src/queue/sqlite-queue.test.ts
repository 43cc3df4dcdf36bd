import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { openSqlite } from "../store/sqlite.js";
import { sqliteStore } from "../store/sqlite-store.js";
import { queueContract } from "./queue.contract.js";
import { sqliteQueue } from "./sqlite-queue.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-queue-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `queue-${n++}.db`);

queueContract("sqlite", async ({ maxAttempts }) => {
  const clock = scaledClock(100);
  const queue = sqliteQueue(freshPath(), clock, { maxAttempts });
  return { queue, clock, cleanup: () => queue.close() };
});

describe("sqlite queue specifics", () => {
  it("does not lease a key that is in flight, so one job is never reconciled twice at once", async () => {
    const clock = scaledClock(100);
    const queue = sqliteQueue(freshPath(), clock);
    await queue.enqueue({ key: "job:1", kind: "reconcile" });
    const [first] = await queue.receive(1, 3_600_000);
    await queue.enqueue({ key: "job:1", kind: "reconcile" });
    await queue.enqueue({ key: "job:2", kind: "reconcile" });
    expect((await queue.receive(10, 3_600_000)).map((i) => i.key)).toEqual(["job:2"]);
    await queue.ack(first!.receiptHandle);
    expect((await queue.receive(10, 3_600_000)).map((i) => i.key)).toEqual(["job:1"]);
    await queue.close();
  });

  it("folds an expired lease into a newer pending item of the same key, keeping the higher attempt count", async () => {
    const clock = scaledClock(100);
    const queue = sqliteQueue(freshPath(), clock, { maxAttempts: 10 });
    await queue.enqueue({ key: "job:1", kind: "reconcile", payload: "old" });
    await queue.receive(1, 4000);
    await queue.enqueue({ key: "job:1", kind: "reconcile", payload: "new", delayMs: 3_600_000 });
    await clock.sleep(8000);
    expect(await queue.depth()).toEqual({ pending: 1, inFlight: 0, dead: 0 });
    expect(await queue.receive(10, 3_600_000)).toMatchObject([{ payload: "new", attempts: 2 }]);
    await queue.close();
  });

  it("shares one database file and connection with the store, closing it when both let go", async () => {
    const handle = openSqlite(freshPath());
    const clock = scaledClock(1);
    const store = sqliteStore(handle, clock);
    const queue = sqliteQueue(handle, clock);
    await queue.enqueue({ key: "job:1", kind: "reconcile" });
    await store.putMeta("k", "v");
    await store.close();
    expect(handle.closed).toBe(false);
    expect(await queue.depth()).toMatchObject({ pending: 1 });
    await queue.close();
    expect(handle.closed).toBe(true);
  });

  it("refuses nonsense options and arguments with the reason", async () => {
    expect(() => sqliteQueue(freshPath(), scaledClock(1), { maxAttempts: 0 })).toThrow(/maxAttempts/);
    const queue = sqliteQueue(freshPath(), scaledClock(1));
    await expect(queue.receive(1, 0)).rejects.toThrow(/visibility timeout/);
    await expect(queue.enqueue({ key: "", kind: "k" })).rejects.toThrow(/key/);
    expect(await queue.release("not-a-receipt")).toBe(false);
    await queue.close();
  });
});
