import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { sqliteQueue } from "../queue/sqlite-queue.js";
import { openSqlite } from "./sqlite.js";
import { sqliteStore } from "./sqlite-store.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dir = mkdtempSync(join(tmpdir(), "tornade-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs store-crash-child.ts until it has acknowledged `writes` intakes, then SIGKILLs it mid-stride. */
async function runAndKill(path: string, writes: number): Promise<string[]> {
  const child = spawn(process.execPath, [join(root, "bin/run-ts.js"), "test/support/store-crash-child.ts", path], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let buffer = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<void>((done) => child.on("close", () => done()));
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
    if (lines.filter((l) => l.startsWith("intake ")).length >= writes && child.exitCode === null) child.kill("SIGKILL");
  });
  await closed;
  if (child.signalCode !== "SIGKILL") throw new Error(`child ended by itself (${child.exitCode}): ${stderr}`);
  return lines;
}

describe("a process SIGKILLed while writing", () => {
  it("loses no acknowledged write and no queued item; its leases come back after their timeout", async () => {
    const path = join(dir, "crash.db");
    const lines = await runAndKill(path, 400);
    const ids = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
    const taken = ids("intake ").map(Number);
    const updated = ids("updated ").map(Number);
    const acked = new Set(ids("acked "));
    const acking = new Set(ids("acking "));
    const leased = new Set(ids("leased "));
    expect(taken.length).toBeGreaterThanOrEqual(400);
    expect(leased.size).toBeGreaterThan(10);

    // Reopen "now": leases the child holds are still running (600 s of real time).
    const handle = openSqlite(path);
    const now = scaledClock(1);
    const store = sqliteStore(handle, now);
    for (const id of taken) {
      expect(await store.getDelivery(`guid-${id}`), `delivery of job ${id}`).toBeDefined();
      expect((await store.getJob(id))?.name).toBe(`job ${id}`);
    }
    for (const id of updated) expect(await store.getJob(id)).toMatchObject({ status: "in_progress", version: 2 });

    const queue = sqliteQueue(handle, now);
    const depth = await queue.depth();
    expect(depth.inFlight).toBeGreaterThanOrEqual(leased.size);
    const pendingNow = new Set((await queue.receive(100_000, 1_000)).map((i) => i.key));
    for (const key of leased) expect(pendingNow.has(key), `${key} still leased`).toBe(false);
    await store.close();
    await queue.close();

    // Reopen "after the visibility timeout": every acknowledged enqueue not acked by the child is there to work.
    const later = scaledClock(1, Date.now() + 3_600_000);
    const afterQueue = sqliteQueue(path, later);
    const items = await afterQueue.receive(100_000, 60_000);
    const keys = new Set(items.map((i) => i.key));
    for (const id of taken) {
      const key = `job:${id}`;
      if (!acking.has(key)) expect(keys.has(key), `${key} lost`).toBe(true);
    }
    for (const key of acked) expect(keys.has(key), `${key} acked but delivered again`).toBe(false);
    for (const item of items) if (leased.has(item.key)) expect(item.attempts).toBe(2);
    await afterQueue.close();
  });
});
