/**
 * Quick measurement (not a test): how many webhook intakes per second the embedded SQLite store and queue take with
 * every commit synced (synchronous=FULL), and how fast workers can drain the queue. Target: >= 3,000 intakes/s.
 *
 * usage: node bin/run-ts.js bench/store/intake-store.ts [count=20000] [full|normal] [concurrency=1]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/clock/clock.js";
import { sqliteQueue } from "../../src/queue/sqlite-queue.js";
import { sqliteIntake } from "../../src/store/intake.js";
import { openSqlite } from "../../src/store/sqlite.js";
import { sqliteStore } from "../../src/store/sqlite-store.js";

const count = Number(process.argv[2] ?? 20_000);
const durability = process.argv[3] === "normal" ? "normal" : "full";
const concurrency = Math.max(1, Number(process.argv[4] ?? 1));
const dir = mkdtempSync(join(tmpdir(), "tornade-bench-"));
try {
  const handle = openSqlite(join(dir, "bench.db"), { durability });
  const store = sqliteStore(handle, systemClock);
  const queue = sqliteQueue(handle, systemClock);
  const intake = sqliteIntake(store, queue);

  // `concurrency` deliveries in flight at once, as an HTTP server sees under a burst (1 = one after the other).
  let started = performance.now();
  let next = 1;
  const worker = async () => {
    for (let i = next++; i <= count; i = next++) await takeIn(i);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const intakeSeconds = (performance.now() - started) / 1000;

  async function takeIn(i: number) {
    const now = systemClock.now();
    await intake.apply({
      delivery: { guid: `guid-${i}`, event: "workflow_job", action: "queued", jobId: i, receivedAt: now },
      job: {
        create: {
          id: i, runId: 100 + (i % 50), runAttempt: 1, repository: "octo/widgets", owner: "octo", repo: "widgets",
          installationId: 7, labels: ["self-hosted", "tornade", "runs-on=FARGATE_SPOT", "arch=ARM64"],
          name: `job ${i}`, workflowName: "CI", status: "queued", createdAt: now, receivedAt: now,
        },
        update: () => ({ status: "queued" }),
      },
      enqueue: [{ key: `job:${i}`, kind: "reconcile", payload: { jobId: i } }],
    });
  }

  started = performance.now();
  let drained = 0;
  for (;;) {
    const items = await queue.receive(32, 60_000);
    if (items.length === 0) break;
    for (const item of items) await queue.ack(item.receiptHandle);
    drained += items.length;
  }
  const drainSeconds = (performance.now() - started) / 1000;

  console.log(
    JSON.stringify({
      durability,
      concurrency,
      intakes: count,
      intakesPerSecond: Math.round(count / intakeSeconds),
      drained,
      receiveAckPerSecond: Math.round(drained / drainSeconds),
    }),
  );
  await store.close();
  await queue.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
