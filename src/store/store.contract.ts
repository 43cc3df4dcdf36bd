import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../clock/clock.js";
import type { JobDecision } from "../core/job-decision.js";
import type { RunnerOutcome } from "../core/launch-outcome.js";
import type { LaunchSpec } from "../core/types.js";
import { standbyRowsContract } from "./standby.contract.js";
import { leaseContract } from "./lease.contract.js";
import { sweeperMemoryContract } from "./sweeper-memory.contract.js";
import { DELIVERY_RETENTION_MIN_MS, NO_JOB, VersionConflict, launchId, type NewJob, type NewLaunch, type Store } from "./store.js";

export interface StoreUnderTest {
  store: Store;
  clock: Clock;
  cleanup: () => Promise<void>;
}

/** A job as the intake would write it from a `workflow_job` webhook. */
export function sampleJob(id: number, overrides: Partial<NewJob> = {}): NewJob {
  return {
    id,
    runId: 9000 + id,
    runAttempt: 1,
    repository: "octo/widgets",
    owner: "octo",
    repo: "widgets",
    installationId: 77,
    labels: ["self-hosted", "tornade", "runs-on=FARGATE_SPOT"],
    name: `build ${id}`,
    workflowName: "CI",
    status: "queued",
    createdAt: 1_700_000_000_000 + id,
    receivedAt: 1_700_000_000_500 + id,
    ...overrides,
  };
}

export function sampleLaunch(jobId: number, attempt: number, overrides: Partial<NewLaunch> = {}): NewLaunch {
  return {
    jobId,
    attempt,
    backend: "FARGATE",
    arch: "X86_64",
    runnerName: `tornade-${jobId}-${attempt}`,
    requestedAt: 1_700_000_001_000 + attempt,
    ...overrides,
  };
}

const spec: LaunchSpec = { backend: "FARGATE", arch: "X86_64", cpu: 0.5, memory: 1024, image: "default", runnerLabels: ["self-hosted", "tornade"] };

/** The expectations every Store implementation meets. `make` gives a fresh, empty store. */
export function storeContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`${name} store (contract)`, () => {
    let t: StoreUnderTest;
    beforeEach(async () => {
      t = await make();
    });
    afterEach(async () => {
      await t.cleanup();
    });

    describe("jobs", () => {
      it("creates a job once and reads back every field, at version 1", async () => {
        const before = t.clock.now();
        const job = sampleJob(1, { decision: { kind: "launch", spec } });
        expect(await t.store.createJobIfAbsent(job)).toBe(true);
        expect(await t.store.createJobIfAbsent({ ...job, name: "other" })).toBe(false);
        const stored = await t.store.getJob(1);
        expect(stored).toMatchObject({ ...job, version: 1, conclusion: null, runnerName: null, startedAt: null, rerunBackend: null });
        expect(stored?.decision).toEqual({ kind: "launch", spec });
        expect(stored?.updatedAt).toBeGreaterThanOrEqual(before);
        expect(await t.store.getJob(2)).toBeUndefined();
      });

      it("keeps a CodeBuild job's fleet in its decision's spec", async () => {
        const onFleet: LaunchSpec = { backend: "CODEBUILD", arch: "ARM64", image: "default", fleet: "warm-pool", runnerLabels: ["self-hosted", "tornade", "fleet=warm-pool"] };
        await t.store.createJobIfAbsent(sampleJob(3, { decision: { kind: "launch", spec: onFleet } }));
        expect((await t.store.getJob(3))?.decision).toEqual({ kind: "launch", spec: onFleet });
      });

      it("lets exactly one of many concurrent creates of the same job win", async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => t.store.createJobIfAbsent(sampleJob(5, { name: `racer ${i}` }))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect((await t.store.getJob(5))?.name).toBe(`racer ${winner}`);
      });

      it("updates with the expected version, bumps it, and keeps unpatched fields", async () => {
        await t.store.createJobIfAbsent(sampleJob(3));
        const updated = await t.store.updateJob(3, 1, {
          status: "in_progress",
          runnerName: "tornade-3-1",
          decision: { kind: "launch", spec, headSha: "abc" },
        });
        expect(updated).toMatchObject({ id: 3, version: 2, status: "in_progress", runnerName: "tornade-3-1", name: "build 3", startedAt: null });
        expect(updated.labels).toEqual(sampleJob(3).labels);
        expect(await t.store.getJob(3)).toEqual(updated);
        const cleared = await t.store.updateJob(3, 2, { runnerName: null, conclusion: "success", status: "completed", startedAt: 1_700_000_000_000 });
        expect(cleared).toMatchObject({ version: 3, runnerName: null, conclusion: "success", startedAt: 1_700_000_000_000 });
        expect(await t.store.getJob(3)).toEqual(cleared);
      });

      it("refuses a stale version with a VersionConflict naming the stored version", async () => {
        await t.store.createJobIfAbsent(sampleJob(4));
        await t.store.updateJob(4, 1, { status: "in_progress" });
        const error = await t.store.updateJob(4, 1, { status: "completed" }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(VersionConflict);
        expect(error).toMatchObject({ entity: "job", expected: 1, actual: 2 });
        expect((await t.store.getJob(4))?.status).toBe("in_progress");
        const missing = await t.store.updateJob(404, 1, { status: "completed" }).catch((e: unknown) => e);
        expect(missing).toMatchObject({ name: "VersionConflict", actual: null });
      });

      it("lets exactly one of concurrent updates from the same version win", async () => {
        await t.store.createJobIfAbsent(sampleJob(6));
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => t.store.updateJob(6, 1, { runnerName: `runner-${i}` })),
        );
        const won = outcomes.filter((o) => o.status === "fulfilled");
        expect(won).toHaveLength(1);
        for (const o of outcomes) if (o.status === "rejected") expect(o.reason).toBeInstanceOf(VersionConflict);
        expect((await t.store.getJob(6))?.version).toBe(2);
      });

      it("lists by status, newest first by default, and pages with a cursor without gaps or repeats", async () => {
        for (let id = 1; id <= 7; id++) {
          await t.store.createJobIfAbsent(sampleJob(id, { status: id % 2 === 0 ? "completed" : "queued" }));
        }
        const queued: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await t.store.listJobs({ status: "queued", limit: 2, ...(cursor ? { cursor } : {}) });
          expect(page.jobs.length).toBeLessThanOrEqual(2);
          queued.push(...page.jobs.map((j) => j.id));
          cursor = page.cursor;
        } while (cursor);
        expect([...queued].sort()).toEqual([1, 3, 5, 7]);
        expect(new Set(queued).size).toBe(4);
        const all = (await t.store.listJobs({ limit: 100 })).jobs;
        expect(all).toHaveLength(7);
        const updatedAts = all.map((j) => j.updatedAt);
        expect(updatedAts).toEqual([...updatedAts].sort((a, b) => b - a));
        const oldest = (await t.store.listJobs({ order: "oldest", limit: 100 })).jobs.map((j) => j.updatedAt);
        expect(oldest).toEqual([...oldest].sort((a, b) => a - b));
      });

      it("lists only jobs not updated since a time (the sweeper's question)", async () => {
        await t.store.createJobIfAbsent(sampleJob(1));
        const stale = (await t.store.getJob(1))!;
        await t.clock.sleep(Math.max(50, t.clock.speed * 20));
        const cut = t.clock.now();
        await t.clock.sleep(Math.max(50, t.clock.speed * 20));
        await t.store.createJobIfAbsent(sampleJob(2));
        const page = await t.store.listJobs({ updatedBefore: cut, order: "oldest" });
        expect(page.jobs.map((j) => j.id)).toEqual([1]);
        expect(page.jobs[0]?.updatedAt).toBe(stale.updatedAt);
      });

      it("counts jobs by GitHub status, zero for absent ones", async () => {
        await t.store.createJobIfAbsent(sampleJob(1));
        await t.store.createJobIfAbsent(sampleJob(2));
        await t.store.createJobIfAbsent(sampleJob(3, { status: "in_progress" }));
        expect(await t.store.countJobsByStatus()).toEqual({ queued: 2, waiting: 0, in_progress: 1, completed: 0 });
      });
    });

    describe("launches", () => {
      it("creates a launch once under its `${jobId}-${attempt}` id with defaults", async () => {
        expect(await t.store.putLaunch(sampleLaunch(10, 1))).toBe(true);
        expect(await t.store.putLaunch(sampleLaunch(10, 1, { backend: "CODEBUILD" }))).toBe(false);
        const launch = await t.store.getLaunch(launchId(10, 1));
        expect(launch).toMatchObject({
          id: "10-1",
          jobId: 10,
          attempt: 1,
          backend: "FARGATE",
          state: "requested",
          providerId: null,
          error: null,
          outcome: null,
          spotInterrupted: false,
          fallbackFrom: null,
          standby: null,
          handoffFrom: null,
          launchedAt: null,
          version: 1,
        });
      });

      it("updates a launch only from the version it was read at", async () => {
        await t.store.putLaunch(sampleLaunch(11, 1, { backend: "FARGATE_SPOT" }));
        const launched = await t.store.updateLaunch("11-1", 1, {
          state: "launched",
          providerId: "arn:aws:ecs:us-east-1:123456789012:task/tornade/abc",
          launchedAt: 5,
        });
        expect(launched).toMatchObject({ version: 2, state: "launched", launchedAt: 5, backend: "FARGATE_SPOT" });
        const failed = await t.store.updateLaunch("11-1", 2, {
          state: "failed",
          error: { kind: "capacity", message: "Capacity is unavailable at this time." },
          spotInterrupted: true,
        });
        expect(failed).toMatchObject({ version: 3, spotInterrupted: true, error: { kind: "capacity" } });
        await expect(t.store.updateLaunch("11-1", 2, { state: "running" })).rejects.toBeInstanceOf(VersionConflict);
        // A runner taken by a sibling keeps the sibling's job id: the chain a robbed job follows to a spare.
        await t.store.updateLaunch("11-1", 3, { outcome: { kind: "taken", jobId: 12, refused: null } });
        expect((await t.store.getLaunch("11-1"))?.outcome).toEqual({ kind: "taken", jobId: 12, refused: null });
        await expect(t.store.updateLaunch("nope-1", 1, { state: "running" })).rejects.toMatchObject({ actual: null });
      });

      it("lists a job's launches by attempt, launches by state oldest first, and counts active ones", async () => {
        await t.store.putLaunch(sampleLaunch(20, 2, { backend: "FARGATE", fallbackFrom: "FARGATE_SPOT", requestedAt: 30 }));
        await t.store.putLaunch(sampleLaunch(20, 1, { backend: "FARGATE_SPOT", state: "failed", requestedAt: 10 }));
        await t.store.putLaunch(sampleLaunch(21, 1, { backend: "CODEBUILD", state: "running", requestedAt: 20 }));
        await t.store.putLaunch(sampleLaunch(22, 1, { backend: "FARGATE", state: "stopped", requestedAt: 5 }));
        expect((await t.store.listLaunches(20)).map((l) => l.attempt)).toEqual([1, 2]);
        expect((await t.store.listLaunches(20))[1]?.fallbackFrom).toBe("FARGATE_SPOT");
        expect((await t.store.listLaunchesByState(["requested", "running"])).map((l) => l.id)).toEqual(["21-1", "20-2"]);
        expect(await t.store.listLaunchesByState(["running", "requested"], 1)).toHaveLength(1);
        expect(await t.store.countActiveLaunches()).toBe(2);
        expect(await t.store.countActiveLaunches({ backend: "CODEBUILD" })).toBe(1);
        expect(await t.store.countActiveLaunches({ backend: "FARGATE_SPOT" })).toBe(0);
      });

      it("keeps the launch rows of runners started for no job (the static pool's), counted like a job's", async () => {
        // Their attempt is the pool runner's name number, a creation time in ms.
        const n = 1_767_225_600_123;
        const pool = sampleLaunch(NO_JOB, n, { runnerName: `tornade-pool-fargate-x86_64-${n}`, requestedAt: 40 });
        expect(await t.store.putLaunch(pool)).toBe(true);
        expect(await t.store.putLaunch(pool)).toBe(false);
        await t.store.putLaunch(sampleLaunch(NO_JOB, n + 1, { runnerName: `tornade-pool-fargate-x86_64-${n + 1}`, backend: "CODEBUILD", state: "launched", requestedAt: 41 }));
        const id = launchId(NO_JOB, n);
        await t.store.updateLaunch(id, 1, { state: "launched", providerId: "arn:aws:ecs:us-east-1:123456789012:task/tornade/pool" });
        expect(await t.store.getLaunch(id)).toMatchObject({ jobId: NO_JOB, attempt: n, state: "launched" });
        expect((await t.store.listLaunches(NO_JOB)).map((l) => l.attempt)).toEqual([n, n + 1]);
        expect((await t.store.listLaunchesByState(["launched"])).map((l) => l.id)).toEqual([id, launchId(NO_JOB, n + 1)]);
        expect(await t.store.countActiveLaunches()).toBe(2);
        expect(await t.store.countActiveLaunches({ backend: "CODEBUILD" })).toBe(1);
      });

      it("finds a launch by its task ARN or build id, following the provider id as it is set", async () => {
        const arn = "arn:aws:ecs:us-east-1:123456789012:task/tornade/0123456789abcdef";
        await t.store.putLaunch(sampleLaunch(30, 1));
        expect(await t.store.findLaunchByProviderId(arn)).toBeUndefined();
        await t.store.updateLaunch("30-1", 1, { state: "launched", providerId: arn });
        await t.store.putLaunch(sampleLaunch(31, 1, { backend: "CODEBUILD", providerId: "tornade-runner:7f1c", state: "launched" }));
        expect(await t.store.findLaunchByProviderId(arn)).toMatchObject({ id: "30-1", state: "launched", version: 2 });
        expect((await t.store.findLaunchByProviderId("tornade-runner:7f1c"))?.id).toBe("31-1");
        expect(await t.store.findLaunchByProviderId("tornade-runner:nope")).toBeUndefined();
      });
    });

    describe("typed state", () => {
      it.each<[string, RunnerOutcome]>([
        ["taken by a sibling", { kind: "taken", jobId: 12, refused: null }],
        ["taken by a refused job", { kind: "taken", jobId: 9, refused: { repository: "acme/other", reason: "not in the allow-list" } }],
        ["lost to Spot, not yet asked about", { kind: "spot-interrupted", checked: false, reason: "Your Spot Task was interrupted." }],
        ["lost to Spot, GitHub asked", { kind: "spot-interrupted", checked: true, reason: "Your Spot Task was interrupted." }],
        ["a failed runner", { kind: "runner-failed", reason: "Essential container in task exited" }],
        ["idle", { kind: "idle", reason: "idle runner stopped: its job ran elsewhere" }],
        ["cancelled", { kind: "cancelled", reason: "job cancelled before its runner took it" }],
        ["boot timeout", { kind: "boot-timeout", reason: "runner not running 600 s after launch" }],
      ])("keeps a launch's outcome, %s, apart from its error, and clears it", async (_what, outcome) => {
        await t.store.putLaunch(sampleLaunch(40, 1, { state: "running", outcome }));
        expect(await t.store.getLaunch("40-1")).toMatchObject({ outcome, error: null });
        const stopped = await t.store.updateLaunch("40-1", 1, { state: "stopped", outcome: null, spotInterrupted: true });
        expect(stopped).toMatchObject({ outcome: null, error: null, spotInterrupted: true });
        await t.store.updateLaunch("40-1", 2, { outcome });
        expect((await t.store.listLaunches(40))[0]?.outcome).toEqual(outcome);
        expect((await t.store.listLaunchesByState(["stopped"]))[0]?.outcome).toEqual(outcome);
      });

      it("keeps each launch error kind with its message", async () => {
        const kinds = ["capacity", "throttled", "transient", "permanent"] as const;
        for (const [i, kind] of kinds.entries()) {
          await t.store.putLaunch(sampleLaunch(41, i + 1, { state: "failed", error: { kind, message: `AWS said ${kind}` } }));
        }
        expect((await t.store.listLaunches(41)).map((l) => [l.error, l.outcome])).toEqual(kinds.map((kind) => [{ kind, message: `AWS said ${kind}` }, null]));
      });

      it("reads back every kind of job decision as it was written", async () => {
        const decisions: JobDecision[] = [
          { kind: "launch", spec, headSha: "abc" },
          { kind: "launch", spec: { ...spec, backend: "CODEBUILD", arch: "ARM64", size: "large", cpu: undefined, memory: undefined }, rerun: "requested" },
          { kind: "rejected", reason: 'label "arch=RISCV"', headSha: "abc", reported: "check-run" },
          { kind: "rejected", reason: 'label "a=1": x; label "b=2": y', problems: ['label "a=1": x', 'label "b=2": y'], headSha: "abc" },
          { kind: "failed", reason: "Unable to describe task definition", spec, headSha: "abc", reported: "not-permitted" },
          { kind: "static", reason: "type=static" },
          { kind: "ignored", reason: "no launch label" },
        ];
        for (const [i, decision] of decisions.entries()) await t.store.createJobIfAbsent(sampleJob(50 + i, { decision }));
        const stored = await Promise.all(decisions.map((_, i) => t.store.getJob(50 + i)));
        expect(stored.map((j) => j?.decision)).toEqual(decisions.map((d) => JSON.parse(JSON.stringify(d)) as unknown));
      });

      it("holds a job's re-run target and finds it for a later attempt of the same run and name", async () => {
        await t.store.createJobIfAbsent(sampleJob(60, { runId: 700, name: "build", runAttempt: 1 }));
        await t.store.createJobIfAbsent(sampleJob(61, { runId: 700, name: "test", runAttempt: 1 }));
        expect(await t.store.findRerunBackend(700, "build", 2)).toBeUndefined();
        const marked = await t.store.updateJob(60, 1, { rerunBackend: "FARGATE" });
        expect(marked).toMatchObject({ rerunBackend: "FARGATE", version: 2, runId: 700, name: "build" });
        expect(await t.store.getJob(60)).toEqual(marked);
        expect(await t.store.findRerunBackend(700, "build", 2)).toBe("FARGATE");
        // Not for the job itself or an earlier attempt, another job of the run, or another run.
        expect(await t.store.findRerunBackend(700, "build", 1)).toBeUndefined();
        expect(await t.store.findRerunBackend(700, "test", 2)).toBeUndefined();
        expect(await t.store.findRerunBackend(701, "build", 2)).toBeUndefined();
        // A re-run re-run again: the latest earlier attempt's target.
        await t.store.createJobIfAbsent(sampleJob(62, { runId: 700, name: "build", runAttempt: 2, rerunBackend: "CODEBUILD" }));
        expect(await t.store.findRerunBackend(700, "build", 3)).toBe("CODEBUILD");
        expect(await t.store.findRerunBackend(700, "build", 2)).toBe("FARGATE");
        await t.store.updateJob(62, 1, { rerunBackend: null });
        expect(await t.store.findRerunBackend(700, "build", 3)).toBe("FARGATE");
        expect((await t.store.getJob(62))?.rerunBackend).toBeNull();
      });
    });

    describe("deliveries", () => {
      it("answers new once and duplicate after, even for concurrent receipts of one GUID", async () => {
        const info = { event: "workflow_job", action: "queued", jobId: 1, receivedAt: t.clock.now() };
        const answers = await Promise.all(Array.from({ length: 10 }, () => t.store.recordDelivery("guid-a", info)));
        expect(answers.filter((a) => a === "new")).toHaveLength(1);
        expect(await t.store.recordDelivery("guid-a", info)).toBe("duplicate");
        expect(await t.store.recordDelivery("guid-b", { ...info, jobId: null })).toBe("new");
        expect(await t.store.getDelivery("guid-a")).toEqual({ guid: "guid-a", ...info });
        expect(await t.store.getDelivery("guid-c")).toBeUndefined();
      });

      it("prunes only deliveries older than the age given, and refuses to forget within 3 days", async () => {
        const now = t.clock.now();
        const day = 24 * 60 * 60 * 1000;
        await t.store.recordDelivery("old", { event: "workflow_job", action: "queued", receivedAt: now - 5 * day });
        await t.store.recordDelivery("recent", { event: "workflow_job", action: "queued", receivedAt: now - 2 * day });
        await expect(t.store.pruneDeliveries(day)).rejects.toThrow(/3 days/);
        expect(await t.store.pruneDeliveries(4 * day)).toBe(1);
        expect(await t.store.getDelivery("old")).toBeUndefined();
        expect(await t.store.recordDelivery("recent", { event: "x", action: null, receivedAt: now })).toBe("duplicate");
        expect(await t.store.pruneDeliveries(DELIVERY_RETENTION_MIN_MS)).toBe(0);
      });
    });

    standbyRowsContract(() => t);
    leaseContract(() => t);
    sweeperMemoryContract(() => t);

    describe("meta", () => {
      it("stores, overwrites and misses keys", async () => {
        expect(await t.store.getMeta("sweeper.cursor")).toBeUndefined();
        await t.store.putMeta("sweeper.cursor", "a");
        await t.store.putMeta("sweeper.cursor", "b");
        expect(await t.store.getMeta("sweeper.cursor")).toBe("b");
      });
    });
  });
}
