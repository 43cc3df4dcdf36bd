/**
 * No webhook is trusted to arrive. A job whose deliveries all failed is redelivered by the sweeper; a job whose
 * deliveries GitHub never even logged is found among the repository's queued runs. Both get their runner.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { defaultSweeperPolicy, Sweeper } from "../../src/controller/sweeper.js";
import { E2E_SPEED, sandbox, until } from "./helpers.js";

let s: Sandbox;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(async () => {
  await s?.close();
});

const labels = ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE_SPOT"];

describe("lost webhooks", () => {
  it("a job whose every delivery failed gets its runner through redelivery, with the same delivery GUID", async () => {
    const gh = s.bed.github.control;
    // Every delivery for this job fails (recorded as failed in the App's delivery log, as a 5xx or timeout would be).
    gh.dropDeliveries({ jobName: "redelivered" }, { record: true });
    const [job] = await s.queueScenario({
      jobs: [
        { name: "redelivered", labels, durationSeconds: 60, count: 1 },
        // Different labels: its runner cannot take the job under test, which must get its own.
        { name: "neighbour", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"], durationSeconds: 60, count: 1 },
      ],
    });
    await until("the job to complete", () => (gh.getJob(job!.jobId)?.status === "completed" ? true : undefined), 30_000);
    expect(gh.getJob(job!.jobId)).toMatchObject({ conclusion: "success", runner_name: expect.stringMatching(/^tornade-/) });
    const queued = gh.listDeliveries().filter((d) => d.jobId === job!.jobId && d.action === "queued");
    expect(queued.some((d) => d.redelivery && d.statusCode === 202)).toBe(true);
    expect(new Set(queued.map((d) => d.guid)).size).toBe(1);
    expect(await s.tornade.built.store.listLaunches(job!.jobId)).toHaveLength(1);
  });

  it("a job GitHub never delivered at all is found among the queued runs and gets its runner", async () => {
    const gh = s.bed.github.control;
    gh.dropDeliveries({ jobName: "never-delivered" }, { record: false });
    const [job] = await s.queueScenario({ jobs: [{ name: "never-delivered", labels, durationSeconds: 60, count: 1 }] });
    await until("the job to complete", () => (gh.getJob(job!.jobId)?.status === "completed" ? true : undefined), 30_000);
    expect(gh.listDeliveries().filter((d) => d.jobId === job!.jobId)).toHaveLength(0);
    const stored = await s.tornade.built.store.getJob(job!.jobId);
    expect(stored?.decision).toMatchObject({ kind: "launch" });
    expect(await s.tornade.built.store.listLaunches(job!.jobId)).toHaveLength(1);
  });
});

describe("discovery in a busy repository", () => {
  it("finds a lost job whose run fell off the first page of runs (GitHub lists the newest first)", async () => {
    const gh = s.bed.github.control;
    gh.dropDeliveries({ jobName: "buried" }, { record: false });
    const [buried] = await s.queueScenario({ jobs: [{ name: "buried", labels, durationSeconds: 60, count: 1 }] });
    // 120 newer runs whose jobs no runner takes: they stay queued and push the buried run to the second page.
    const others = Array.from({ length: 120 }, (_, i) => gh.createRun({ jobs: [{ name: `other-${i}`, labels: ["self-hosted", "elsewhere"], durationSeconds: 60 }] }));
    try {
      await until("the buried job to complete", () => (gh.getJob(buried!.jobId)?.status === "completed" ? true : undefined), 30_000);
      expect(gh.listDeliveries().filter((d) => d.jobId === buried!.jobId)).toHaveLength(0);
      expect(await s.tornade.built.store.listLaunches(buried!.jobId)).toHaveLength(1);
    } finally {
      for (const run of others) gh.cancelRun(run.id);
    }
  });

  it("a restarted sweeper reads only the deliveries since the last complete scan: the watermark is stored", async () => {
    const gh = s.bed.github.control;
    const built = s.tornade.built;
    // More deliveries than one page by now (the 120 runs above), and the running controller stopped: no other scan.
    await built.controller.stop();
    expect(gh.listDeliveries().length).toBeGreaterThan(100);
    expect(Number(await built.store.getMeta("sweeper:delivery-watermark"))).toBeGreaterThan(0);
    const LOG = "GET /app/hook/deliveries";
    const pagesRead = async () => {
      const before = gh.stats().requests[LOG] ?? 0;
      const sweeper = new Sweeper({ store: built.store, github: built.github, takeIn: built.controller.takeIn, clock: s.bed.clock, logger: silentLogger, policy: defaultSweeperPolicy });
      await sweeper.sweep();
      return (gh.stats().requests[LOG] ?? 0) - before;
    };
    // The running sweeper's last round may be a while back (quiet rounds back off): one complete scan of what came since,
    // then a restarted sweeper reads one page.
    await gh.deliveriesIdle();
    await pagesRead();
    expect(await pagesRead()).toBe(1);
    // Without the stored watermark, a new sweeper reads the whole lookback.
    await built.store.putMeta("sweeper:delivery-watermark", "0");
    expect(await pagesRead()).toBeGreaterThan(1);
  });

  it("redelivers a backlog over rounds, at most 150 a round, and forgets none", async () => {
    const gh = s.bed.github.control;
    const built = s.tornade.built;
    const sweeper = new Sweeper({ store: built.store, github: built.github, takeIn: built.controller.takeIn, clock: s.bed.clock, logger: silentLogger, policy: defaultSweeperPolicy });
    await sweeper.sweep();
    // 160 deliveries fail (recorded, so redeliverable), as they would while tornade is down.
    gh.dropDeliveries(160, { record: true });
    const runs = Array.from({ length: 160 }, (_, i) => gh.createRun({ jobs: [{ name: `backlog-${i}`, labels: ["self-hosted", "elsewhere"], durationSeconds: 60 }] }));
    try {
      await gh.deliveriesIdle();
      expect((await sweeper.sweep()).redelivered).toBe(150);
      await gh.deliveriesIdle();
      // The other 10 are older than the new watermark: only the sweeper's backlog remembers them.
      expect((await sweeper.sweep()).redelivered).toBe(10);
      await gh.deliveriesIdle();
      expect((await sweeper.sweep()).redelivered).toBe(0);
    } finally {
      for (const run of runs) gh.cancelRun(run.id);
    }
  });
});

describe("the redelivery backlog lives in the store", () => {
  it("survives a restart: a new sweeper (or another replica on the store) redelivers the rest, and nothing twice", async () => {
    const gh = s.bed.github.control;
    const built = s.tornade.built;
    // A sweeper with nothing in memory, as after a restart or on another replica: all it knows is the store.
    const restarted = () =>
      new Sweeper({ store: built.store, github: built.github, takeIn: built.controller.takeIn, clock: s.bed.clock, logger: silentLogger, policy: defaultSweeperPolicy });
    await gh.deliveriesIdle();
    await restarted().sweep();
    gh.dropDeliveries(160, { record: true });
    const runs = Array.from({ length: 160 }, (_, i) => gh.createRun({ jobs: [{ name: `restart-${i}`, labels: ["self-hosted", "elsewhere"], durationSeconds: 60 }] }));
    const redeliveries = () => gh.stats().requests["POST /app/hook/deliveries/{delivery_id}/attempts"] ?? 0;
    try {
      await gh.deliveriesIdle();
      const before = redeliveries();
      expect((await restarted().sweep()).redelivered).toBe(150);
      expect(await built.store.listFailedDeliveries()).toHaveLength(160);
      await gh.deliveriesIdle();
      // The 10 left are older than the watermark the first sweeper stored: only the store remembers them.
      expect((await restarted().sweep()).redelivered).toBe(10);
      await gh.deliveriesIdle();
      expect((await restarted().sweep()).redelivered).toBe(0);
      expect(await built.store.listFailedDeliveries()).toEqual([]);
      expect(redeliveries() - before).toBe(160);
    } finally {
      for (const run of runs) gh.cancelRun(run.id);
    }
  });
});

describe("the discovery budget", () => {
  it("is configurable, and 0 spends no call on finding jobs (only redelivery remains)", async () => {
    const sb = await startSandbox({ speed: E2E_SPEED, logger: silentLogger, port: 0, env: { TORNADE_DISCOVERY_BUDGET: "0" } });
    try {
      const gh = sb.bed.github.control;
      gh.dropDeliveries({ jobName: "unfound" }, { record: false });
      const [job] = await sb.queueScenario({ jobs: [{ name: "unfound", labels, durationSeconds: 60, count: 1 }, { name: "seen", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"], durationSeconds: 60, count: 1 }] });
      const rounds = () => gh.stats().requests["GET /app/hook/deliveries"] ?? 0;
      // Several sweeper rounds go by (each reads the delivery log once)…
      await until("five sweeper rounds", () => (rounds() >= 5 ? true : undefined), 30_000);
      // …and none of them listed runs: the job nobody delivered stays unknown, as the budget says.
      expect(gh.stats().requests["GET /repos/{owner}/{repo}/actions/runs"] ?? 0).toBe(0);
      expect(await sb.tornade.built.store.getJob(job!.jobId)).toBeUndefined();
    } finally {
      await sb.close();
    }
  });
});
