/**
 * The victim of crash.test.ts: takes deliveries in and works the queue as fast as it can, printing a line after each
 * write has been acknowledged (its promise resolved), until the test SIGKILLs it. Not production code.
 *
 * usage: node bin/run-ts.js test/support/store-crash-child.ts <database path>
 */
import { writeSync } from "node:fs";
import { systemClock } from "../../src/clock/clock.js";
import { sqliteQueue } from "../../src/queue/sqlite-queue.js";
import { sqliteIntake } from "../../src/store/intake.js";
import { openSqlite } from "../../src/store/sqlite.js";
import { sqliteStore } from "../../src/store/sqlite-store.js";

const path = process.argv[2];
if (!path) throw new Error("usage: crash-child.ts <database path>");
const handle = openSqlite(path);
const store = sqliteStore(handle, systemClock);
const queue = sqliteQueue(handle, systemClock);
const intake = sqliteIntake(store, queue);
const say = (line: string) => writeSync(1, `${line}\n`);
/** Long enough that no lease taken here expires before the test reopens the database with the real clock. */
const CHILD_VISIBILITY_MS = 600_000;

say("ready");
for (let i = 1; ; i++) {
  await intake.apply({
    delivery: { guid: `guid-${i}`, event: "workflow_job", action: "queued", jobId: i, receivedAt: systemClock.now() },
    job: {
      create: {
        id: i, runId: 1, runAttempt: 1, repository: "o/r", owner: "o", repo: "r", installationId: 1,
        labels: ["self-hosted", "tornade"], name: `job ${i}`, status: "queued",
        createdAt: systemClock.now(), receivedAt: systemClock.now(),
      },
    },
    enqueue: [{ key: `job:${i}`, kind: "reconcile", payload: { jobId: i } }],
  });
  say(`intake ${i}`);
  if (i % 7 === 0) {
    const job = await store.getJob(i);
    await store.updateJob(i, job!.version, { status: "in_progress", runnerName: `runner-${i}` });
    say(`updated ${i}`);
  }
  if (i % 5 === 0) {
    const [done, held] = await queue.receive(2, CHILD_VISIBILITY_MS);
    if (done) {
      // Said before and after: killed in between, the test accepts the item either way.
      say(`acking ${done.key}`);
      await queue.ack(done.receiptHandle);
      say(`acked ${done.key}`);
    }
    if (held) say(`leased ${held.key}`);
  }
}
