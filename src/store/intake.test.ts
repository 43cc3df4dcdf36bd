import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import type { Queue } from "../queue/queue.js";
import { sqliteQueue } from "../queue/sqlite-queue.js";
import { sequentialIntake, sqliteIntake, type Intake, type IntakeInput } from "./intake.js";
import { openSqlite } from "./sqlite.js";
import { sqliteStore } from "./sqlite-store.js";
import { sampleJob } from "./store.contract.js";
import type { JobStatus } from "../core/types.js";
import { VersionConflict, launchId, type JobRecord, type LaunchRecord, type Store } from "./store.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-intake-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `intake-${n++}.db`);

const ORDER: Record<JobStatus, number> = { waiting: 0, queued: 1, in_progress: 2, completed: 3 };

/** What the controller's intake would send for one workflow_job delivery. */
function delivery(guid: string, jobId: number, status: JobStatus): IntakeInput {
  return {
    delivery: { guid, event: "workflow_job", action: status, jobId, receivedAt: 1 },
    job: {
      create: sampleJob(jobId, { status }),
      // Webhooks arrive out of order: only ever move a job forward.
      update: (current) => (ORDER[status] > ORDER[current.status] ? { status } : null),
    },
    enqueue: [{ key: `job:${jobId}`, kind: "reconcile", payload: { jobId } }],
  };
}

interface Rig {
  intake: Intake;
  store: Store;
  queue: Queue;
  close: () => Promise<void>;
}

const rigs: Record<string, () => Rig> = {
  "sqliteIntake (one transaction)": () => {
    const handle = openSqlite(freshPath());
    const clock = scaledClock(1);
    const store = sqliteStore(handle, clock);
    const queue = sqliteQueue(handle, clock);
    return { intake: sqliteIntake(store, queue), store, queue, close: async () => { await store.close(); await queue.close(); } };
  },
  "sqliteIntake without group commit": () => {
    const handle = openSqlite(freshPath());
    const clock = scaledClock(1);
    const store = sqliteStore(handle, clock);
    const queue = sqliteQueue(handle, clock);
    const intake = sqliteIntake(store, queue, { groupCommit: false });
    return { intake, store, queue, close: async () => { await store.close(); await queue.close(); } };
  },
  "sequentialIntake (separate databases)": () => {
    const clock = scaledClock(1);
    const store = sqliteStore(freshPath(), clock);
    const queue = sqliteQueue(freshPath(), clock);
    return { intake: sequentialIntake(store, queue), store, queue, close: async () => { await store.close(); await queue.close(); } };
  },
};

for (const [name, make] of Object.entries(rigs)) {
  describe(name, () => {
    it("creates the job and enqueues once; a duplicate GUID does nothing", async () => {
      const rig = make();
      expect(await rig.intake.apply(delivery("g1", 1, "queued"))).toEqual({ delivery: "new", job: "created", enqueued: 1 });
      expect(await rig.intake.apply(delivery("g1", 1, "queued"))).toEqual({ delivery: "duplicate", job: "none", enqueued: 0 });
      expect((await rig.store.getJob(1))?.version).toBe(1);
      expect(await rig.queue.depth()).toEqual({ pending: 1, inFlight: 0, dead: 0 });
      expect((await rig.store.getDelivery("g1"))?.jobId).toBe(1);
      await rig.close();
    });

    it("takes in what GitHub's API said (no delivery): stored and enqueued, idempotently, no GUID recorded", async () => {
      const rig = make();
      const { delivery: _none, ...lookUp } = delivery("unused", 7, "queued");
      expect(await rig.intake.apply(lookUp)).toEqual({ delivery: "new", job: "created", enqueued: 1 });
      expect(await rig.intake.apply(lookUp)).toEqual({ delivery: "new", job: "unchanged", enqueued: 1 });
      expect((await rig.store.getJob(7))?.version).toBe(1);
      expect(await rig.queue.depth()).toEqual({ pending: 1, inFlight: 0, dead: 0 });
      expect(await rig.store.getDelivery("unused")).toBeUndefined();
      await rig.close();
    });

    it("moves a job forward on a later delivery and never back on a late one", async () => {
      const rig = make();
      await rig.intake.apply(delivery("g1", 1, "queued"));
      expect((await rig.intake.apply(delivery("g2", 1, "in_progress"))).job).toBe("updated");
      expect((await rig.intake.apply(delivery("g3", 1, "queued"))).job).toBe("unchanged");
      expect(await rig.store.getJob(1)).toMatchObject({ status: "in_progress", version: 2 });
      // Three deliveries, one pending reconcile: enqueue coalesces by key.
      expect((await rig.queue.depth()).pending).toBe(1);
      await rig.close();
    });

    it("says the look is committed (a worker may take it) before it answers, and only when something was enqueued", async () => {
      const rig = make();
      const seen: string[] = [];
      const input = { ...delivery("g1", 1, "queued"), committed: () => seen.push("committed") };
      const applied = rig.intake.apply(input).then(() => seen.push("answered"));
      await applied;
      expect(seen).toEqual(["committed", "answered"]);
      // Committed means visible to a worker of this process.
      expect((await rig.queue.receive(1, 60_000)).map((i) => i.key)).toEqual(["job:1"]);
      seen.length = 0;
      await rig.intake.apply({ ...input, enqueue: [] });
      await rig.intake.apply(input);
      expect(seen).toEqual([]);
      await rig.close();
    });

    it("enqueues a job's onChange looks only when the write created or moved the job (sequentialIntake: always)", async () => {
      const rig = make();
      // sequentialIntake cannot tell a job this delivery left alone from one an interrupted apply of it already moved.
      const always = name.startsWith("sequentialIntake");
      const changing = (guid: string, status: JobStatus): IntakeInput => {
        const d = delivery(guid, 1, status);
        return { ...d, job: { ...d.job!, onChange: d.enqueue! }, enqueue: [] };
      };
      const drain = async () => {
        for (const item of await rig.queue.receive(10, 60_000)) await rig.queue.ack(item.receiptHandle);
      };
      expect(await rig.intake.apply(changing("g1", "queued"))).toEqual({ delivery: "new", job: "created", enqueued: 1 });
      await drain();
      // Another delivery of a state already recorded, and one older than it: nothing to look at.
      expect(await rig.intake.apply(changing("g2", "queued"))).toEqual({ delivery: "new", job: "unchanged", enqueued: always ? 1 : 0 });
      expect((await rig.queue.depth()).pending).toBe(always ? 1 : 0);
      await drain();
      expect(await rig.intake.apply(changing("g3", "in_progress"))).toEqual({ delivery: "new", job: "updated", enqueued: 1 });
      await drain();
      expect(await rig.intake.apply(changing("g4", "queued"))).toEqual({ delivery: "new", job: "unchanged", enqueued: always ? 1 : 0 });
      await rig.close();
    });

    it("writes a runner's new state with its looks; a row that moved since it was read writes neither", async () => {
      const rig = make();
      await rig.store.putLaunch({ jobId: 1, attempt: 1, backend: "FARGATE", arch: "X86_64", runnerName: "tornade-1-1", requestedAt: 1 });
      const stopped = { state: "stopped" as const, stoppedAt: 5 };
      const look = { key: "job:1", kind: "reconcile", payload: { jobId: 1 } };
      expect(await rig.intake.apply({ launch: { id: launchId(1, 1), expectedVersion: 1, patch: stopped }, enqueue: [look] })).toEqual({ delivery: "new", job: "none", enqueued: 1 });
      expect(await rig.store.getLaunch(launchId(1, 1))).toMatchObject({ state: "stopped", stoppedAt: 5, version: 2 });
      const other = { key: "job:2", kind: "reconcile", payload: { jobId: 2 } };
      await expect(rig.intake.apply({ launch: { id: launchId(1, 1), expectedVersion: 1, patch: { state: "running" } }, enqueue: [other] })).rejects.toBeInstanceOf(VersionConflict);
      expect(await rig.store.getLaunch(launchId(1, 1))).toMatchObject({ state: "stopped", version: 2 });
      expect((await rig.queue.receive(10, 60_000)).map((i) => i.key)).toEqual(["job:1"]);
      await rig.close();
    });

    it("leaves out a look that would find nothing to do, judged on the rows as the write leaves them (sequentialIntake: never)", async () => {
      const rig = make();
      const judges = !name.startsWith("sequentialIntake");
      await rig.store.putLaunch({ jobId: 1, attempt: 1, backend: "FARGATE", arch: "X86_64", runnerName: "tornade-1-1", requestedAt: 1 });
      const seen: string[] = [];
      // Needed unless the job is in progress and its launch stopped: what needs both the job's patch and the launch's.
      const lookUnlessIdle = {
        key: "job:1",
        jobId: 1,
        needed: (job: JobRecord, launchesOf: () => readonly LaunchRecord[]) => {
          const launches = launchesOf();
          seen.push(`${job.status}/${launches.map((l) => l.state).join()}`);
          return !(job.status === "in_progress" && launches.every((l) => l.state === "stopped"));
        },
      };
      const look = { key: "job:1", kind: "reconcile", payload: { jobId: 1 } };
      const other = { key: "job:2", kind: "reconcile", payload: { jobId: 2 } };
      const pending = async () => {
        const items = await rig.queue.receive(10, 60_000);
        for (const item of items) await rig.queue.ack(item.receiptHandle);
        return items.map((i) => i.key).sort();
      };
      // The job moves to in_progress while its launch is still requested: needed.
      expect(await rig.intake.apply({ ...delivery("g1", 1, "in_progress"), lookUnlessIdle })).toMatchObject({ enqueued: 1 });
      expect(await pending()).toEqual(["job:1"]);
      // Its launch stops in the same write that asks for the look: that write's own patch is what is judged.
      const stop = { launch: { id: launchId(1, 1), expectedVersion: 1, patch: { state: "stopped" as const, stoppedAt: 5 } }, enqueue: [look, other], lookUnlessIdle };
      expect(await rig.intake.apply(stop)).toMatchObject({ enqueued: judges ? 1 : 2 });
      expect(await pending()).toEqual(judges ? ["job:2"] : ["job:1", "job:2"]);
      expect(seen).toEqual(judges ? ["in_progress/requested", "in_progress/stopped"] : []);
      await rig.close();
    });
  });
}

describe("sqliteIntake atomicity", () => {
  it("rolls the delivery, job and enqueue back together when any part fails, so a redelivery is new", async () => {
    const rig = rigs["sqliteIntake (one transaction)"]!();
    await rig.intake.apply(delivery("g1", 1, "queued"));
    const [item] = await rig.queue.receive(1, 60_000);
    await rig.queue.ack(item!.receiptHandle);
    const failing: IntakeInput = {
      ...delivery("g2", 1, "completed"),
      job: { create: sampleJob(1), update: () => { throw new Error("boom"); } },
    };
    await expect(rig.intake.apply(failing)).rejects.toThrow("boom");
    expect(await rig.store.getDelivery("g2")).toBeUndefined();
    expect(await rig.queue.depth()).toEqual({ pending: 0, inFlight: 0, dead: 0 });
    expect(await rig.intake.apply(delivery("g2", 1, "completed"))).toEqual({ delivery: "new", job: "updated", enqueued: 1 });
    await rig.close();
  });

  it("group-commits concurrent deliveries, failing only the one that failed", async () => {
    const rig = rigs["sqliteIntake (one transaction)"]!();
    const inputs = Array.from({ length: 50 }, (_, i) => delivery(`g${i}`, i + 1, "queued"));
    inputs[17] = { ...inputs[17]!, enqueue: [{ key: "", kind: "reconcile" }] };
    const outcomes = await Promise.allSettled(inputs.map((input) => rig.intake.apply(input)));
    expect(outcomes.filter((o) => o.status === "rejected")).toHaveLength(1);
    expect(outcomes[17]).toMatchObject({ status: "rejected", reason: { message: expect.stringMatching(/key/) } });
    expect(await rig.store.getDelivery("g17")).toBeUndefined();
    expect(await rig.store.getJob(18)).toBeUndefined();
    expect(await rig.store.getDelivery("g18")).toBeDefined();
    expect((await rig.store.countJobsByStatus()).queued).toBe(49);
    expect((await rig.queue.depth()).pending).toBe(49);
    await rig.close();
  });

  it("refuses a store and a queue on different databases, saying how to share one", () => {
    const clock = scaledClock(1);
    const store = sqliteStore(freshPath(), clock);
    const queue = sqliteQueue(freshPath(), clock);
    expect(() => sqliteIntake(store, queue)).toThrow(/openSqlite/);
    void store.close();
    void queue.close();
  });
});
