/**
 * Scale-set mode's promises about messages and replicas (docs/scale-sets.md), end to end against the test bed:
 * - a message is stored before it is acknowledged: with every acknowledgement failing, the job is still served (once),
 *   the message stays with the service and comes again, and a restarted tornade on the same store takes it in again
 *   without launching a second runner;
 * - two replicas on one store: exactly one holds the scale set's lease and session; when it stops (SIGTERM: close),
 *   its session is closed and the other takes over and serves the next job.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { isScaleSetJob } from "../../src/core/scale-set.js";
import type { RunningTornade } from "../../src/server/run.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { until } from "../../testbed/until.js";
import { startScaleSetTornade } from "../support/scale-set-tornade.js";

const SPEED = 300;
const DAY = 24 * 3600_000;
const ACK = { method: "DELETE", route: "/_apis/runtime/runnerscalesets/{scaleSetId}/messages/{messageId}" };

const dir = mkdtempSync(join(tmpdir(), "tornade-scale-set-replicas-"));
const clock = scaledClock(SPEED);
let bed: TestBed;
const running: RunningTornade[] = [];

beforeAll(async () => {
  bed = await startTestBed({ clock, runnerLog: () => {}, github: { runnerLostAfterMs: 30 * 60_000, scaleSets: { requeueAfterMs: DAY } } });
}, 30_000);

afterEach(async () => {
  bed.github.control.scaleSets.clearFaults();
  await Promise.all(running.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(set: string, storePath: string, holder: string): Promise<RunningTornade> {
  const t = await startScaleSetTornade(bed, clock, { sets: `${set}=FARGATE/X86_64:0-4`, storePath, holder, env: { TORNADE_INTAKE: "scale-sets", TORNADE_SCALE_SETS_LEASE_SECONDS: "600" } });
  running.push(t);
  return t;
}

const view = (name: string) => bed.github.control.scaleSets.list().find((s) => s.name === name);
const completed = (id: number) => {
  const job = bed.github.control.getJob(id);
  return job?.status === "completed" && job;
};

async function storedJobs(t: RunningTornade, name: string) {
  return (await t.built.store.listJobs({ limit: 100 })).jobs.filter((j) => isScaleSetJob(j.id) && j.decision?.kind === "launch" && j.decision.scaleSet === name);
}

describe("a scale set's messages", () => {
  it("are stored before they are acknowledged: nothing is lost and nothing launched twice when acknowledgements fail and tornade restarts", async () => {
    const store = join(dir, "ack.sqlite");
    const first = await start("ack-set", store, "replica-a");
    await until("the session", () => view("ack-set")?.session?.alive, 20_000);
    // Every acknowledgement fails from now on (after the client's retries too).
    bed.github.control.scaleSets.fail({ ...ACK, status: 503, times: 10_000 });
    const run = bed.github.control.createRun({ jobs: [{ name: "unacked", labels: ["ack-set"], durationSeconds: 30 }] });
    const id = Number(run.jobs[0]?.id);
    await until("the job to complete though no message was acknowledged", () => completed(id), 30_000);
    const undeleted = view("ack-set")?.queue.undeleted ?? [];
    expect(undeleted.length).toBeGreaterThan(0);
    expect(undeleted.flatMap((m) => m.messageTypes)).toEqual(expect.arrayContaining(["JobAvailable", "JobAssigned"]));
    const [job] = await storedJobs(first, "ack-set");
    expect(job).toBeDefined();
    expect(await first.built.store.listLaunches(job?.id ?? 0)).toHaveLength(1);

    // Down (as a kill between take-in and acknowledgement leaves it: the messages are with the service, the jobs in
    // the store), then up again on the same store with the service healthy.
    await first.close();
    running.splice(running.indexOf(first), 1);
    bed.github.control.scaleSets.clearFaults();
    const second = await start("ack-set", store, "replica-b");
    await until("the messages to be taken in again and acknowledged", () => view("ack-set")?.queue.undeleted.length === 0, 30_000);
    const again = await until("the job's completion stored", async () => (await storedJobs(second, "ack-set")).find((j) => j.status === "completed"), 20_000);
    expect(again.id).toBe(job?.id);
    expect(await second.built.store.listLaunches(again.id)).toHaveLength(1);
    expect(await storedJobs(second, "ack-set")).toHaveLength(1);
  });
});

describe("two replicas", () => {
  it("share one session through the lease; when the holder stops, the other takes over", async () => {
    const store = join(dir, "replicas.sqlite");
    const a = await start("rep-set", store, "replica-a");
    const b = await start("rep-set", store, "replica-b");
    const held = await until("one replica to hold the session", () => view("rep-set")?.session?.alive && view("rep-set")?.session, 20_000);
    const lease = await a.built.store.getLease("scale-set:rep-set");
    expect(["replica-a", "replica-b"]).toContain(lease?.holder);
    expect(held && held.ownerName).toBe(lease?.holder);
    const [holder, other] = lease?.holder === "replica-a" ? [a, b] : [b, a];
    const otherName = lease?.holder === "replica-a" ? "replica-b" : "replica-a";

    const firstRun = bed.github.control.createRun({ jobs: [{ name: "one", labels: ["rep-set"], durationSeconds: 30 }] });
    await until("the first job to complete", () => completed(Number(firstRun.jobs[0]?.id)), 30_000);

    // SIGTERM on the holder: its poll is aborted, its session closed, its lease given up.
    await holder.close();
    running.splice(running.indexOf(holder), 1);
    await until("the other replica to hold the session", () => view("rep-set")?.session?.alive && view("rep-set")?.session?.ownerName === otherName, 30_000);
    expect((await other.built.store.getLease("scale-set:rep-set"))?.holder).toBe(otherName);

    const secondRun = bed.github.control.createRun({ jobs: [{ name: "two", labels: ["rep-set"], durationSeconds: 30 }] });
    const id = Number(secondRun.jobs[0]?.id);
    await until("the second job to complete on the replica that took over", () => completed(id), 30_000);
    const stored = await storedJobs(other, "rep-set");
    expect(stored.map((j) => j.name).sort()).toEqual(["one", "two"]);
    for (const j of stored) expect(await other.built.store.listLaunches(j.id)).toHaveLength(1);
  });
});
