/**
 * The pool manager against the test bed: the real OctokitGitHub and the real ECS / CodeBuild providers over HTTP, the
 * simulated runners taking real (simulated) jobs, every runner started by the real Launcher through its launch gate, and
 * a SQLite store holding their launch rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { loadConfig, policyOf } from "../config/index.js";
import { localTime } from "../core/pool.js";
import type { Backend } from "../core/types.js";
import { OctokitGitHub } from "../github/octokit-github.js";
import { createLogger } from "../log/logger.js";
import type { Provider } from "../providers/provider.js";
import { testBedEnv } from "../sandbox/sandbox.js";
import { SqliteStore } from "../store/sqlite-store.js";
import { NO_JOB } from "../store/store.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { until } from "../../testbed/until.js";
import { bedPorts } from "../../test/support/bed-ports.js";
import { LaunchGate } from "./launch-gate.js";
import { Launcher, jobWaiter } from "./launcher.js";
import { noopObserver } from "./observer.js";
import { PoolManager, poolSetupOf } from "./pool.js";

// At 200× a Fargate task is RUNNING (30 s simulated) in ~0.15 s real and a 10-minute job takes 3 s.
const SPEED = 200;
const STATIC = ["self-hosted", "tornade", "type=static"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

let bed: TestBed;
let github: OctokitGitHub;
let providers: Map<Backend, Provider>;
let store: SqliteStore;
const logger = createLogger({ level: "silent" });

beforeAll(async () => {
  bed = await startTestBed({ clock: scaledClock(SPEED), runnerLog: () => {} });
  ({ github, providers } = bedPorts(bed));
  store = new SqliteStore(":memory:", bed.clock);
});

afterAll(async () => {
  await store?.close();
  await bed?.close();
});

/** A manager as tornade serve would build it, from environment variables naming the pool. */
function manager(pool: Record<string, string>): PoolManager {
  return poolWithGate(pool, store).manager;
}

/** The manager, and the launch gate its launcher asks (shared with job runners in `tornade serve`). */
function poolWithGate(pool: Record<string, string>, on: SqliteStore): { manager: PoolManager; gate: LaunchGate } {
  const d = bed.description();
  const config = loadConfig({
    ...testBedEnv(bed),
    TORNADE_POOL_OWNER: d.github.owner,
    TORNADE_POOL_REPO: d.github.repo,
    TORNADE_POOL_INSTALLATION_ID: String(d.github.installationId),
    ...pool,
  });
  const setup = poolSetupOf(config);
  if (!setup) throw new Error("no pool configured");
  const placement = { scope: config.github.runnerScope, runnerGroupId: config.github.runnerGroupId };
  const gate = new LaunchGate(on, bed.clock, config.limits);
  const launcher = new Launcher({ store: on, github, providers, gate, placement, clock: bed.clock, logger, observer: noopObserver });
  return { gate, manager: new PoolManager({ ...setup, github, launcher, store: on, labelPolicy: policyOf(config), clock: bed.clock, logger }) };
}

const poolRunners = (prefix = "tornade-pool-") => bed.github.control.listRunners().filter((r) => r.name.startsWith(prefix));
const taskOf = (runnerName: string) => bed.aws.control.listTasks().find((t) => t.env["TORNADE_RUNNER_NAME"] === runnerName);

/** The shared poll-until helper, under this file's name for it. */
const waitFor = <T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> => until(what, probe, timeoutMs);

const online = (n: number, prefix = "tornade-pool-fargate-x86_64-") => () => {
  const rs = poolRunners(prefix);
  return rs.length === n && rs.every((r) => r.status === "online" && !r.busy) && rs;
};

function queueStatic(labels: string[], durationSeconds: number): number {
  const run = bed.github.control.createRun({ jobs: [{ name: "static", labels, durationSeconds }] });
  const job = run.jobs[0];
  if (!job) throw new Error("no job");
  return Number(job.id);
}

describe("PoolManager on the test bed", () => {
  const fargate2 = { TORNADE_POOL: "FARGATE/X86_64=2" };

  it("brings a pool of 2 up, registered with the static labels, and then leaves it alone", async () => {
    const m = manager(fargate2);
    const first = await m.tick();
    expect(first.launched).toHaveLength(2);
    expect(first.failures).toEqual([]);
    const runners = await waitFor("two idle pool runners", online(2));
    for (const r of runners) {
      expect(r.labels.map((l) => l.name)).toEqual(["self-hosted", "tornade", "type=static", "runs-on=FARGATE", "arch=X86_64", "arch=x64", "arch=amd64"]);
      expect(taskOf(r.name)).toMatchObject({ capacity: "FARGATE", arch: "X86_64", lastStatus: "RUNNING" });
    }
    const second = await m.tick();
    expect(second.launched).toEqual([]);
    expect(second.pools).toEqual([{ backend: "FARGATE", arch: "X86_64", desired: 2, idle: 2, starting: 0, busy: 0 }]);
  });

  it("a static job without runs-on/arch is taken by the default pool, completes, and the pool tops back up to 2", async () => {
    const m = manager(fargate2);
    const jobId = queueStatic(STATIC, 120);
    const taken = await waitFor("the job to start", () => {
      const j = bed.github.control.getJob(jobId);
      return j?.status === "in_progress" && j;
    });
    expect(taken.runner_name).toMatch(/^tornade-pool-fargate-x86_64-\d+$/);
    const topUp = await m.tick();
    expect(topUp.pools[0]).toMatchObject({ desired: 2, idle: 1, busy: 1 });
    expect(topUp.launched).toHaveLength(1);
    await waitFor("the job to complete", () => bed.github.control.getJob(jobId)?.conclusion === "success");
    // The ephemeral runner is gone with its job; the replacement makes the pool 2 again.
    const now = await waitFor("two idle pool runners again", online(2));
    expect(now.map((r) => r.name)).not.toContain(taken.runner_name);
    await waitFor("the finished runner's task to stop by itself", () => taskOf(taken.runner_name ?? "")?.lastStatus === "STOPPED");
    expect((await m.tick()).launched).toEqual([]);
  });

  it("a static job naming arch=aarch64 and CODEBUILD waits for its own pool, not the X86_64 one", async () => {
    const jobId = queueStatic([...STATIC, "runs-on=codebuild", "arch=aarch64"], 60);
    await new Promise((r) => setTimeout(r, 300)); // 60 simulated seconds with two idle X86_64 runners
    expect(bed.github.control.getJob(jobId)?.status).toBe("queued");
    const m = manager({ TORNADE_POOL: "FARGATE/X86_64=2,CODEBUILD/ARM64=1" });
    const r = await m.tick();
    expect(r.launched).toEqual([expect.stringMatching(/^tornade-pool-codebuild-arm64-\d+$/)]);
    const done = await waitFor("the ARM64 job to complete", () => {
      const j = bed.github.control.getJob(jobId);
      return j?.conclusion === "success" && j;
    });
    expect(done.runner_name).toBe(r.launched[0]);
    expect(bed.aws.control.listBuilds().find((b) => b.env["TORNADE_RUNNER_NAME"] === r.launched[0])?.environmentType).toBe("ARM_CONTAINER");
  });

  it("shrinking to 0 deregisters the idle runners and stops their tasks, and never touches a busy one", async () => {
    const jobId = queueStatic(STATIC, 600);
    const busy = await waitFor("a pool runner to take the long job", () => bed.github.control.getJob(jobId)?.runner_name ?? undefined);
    const idle = poolRunners().filter((r) => r.name !== busy);
    expect(idle.length).toBeGreaterThan(0);

    // A new manager (a restart with a new configuration): the launch rows tell it which tasks run the runners.
    const stopsBefore = bed.aws.control.stats().calls["ecs.StopTask"] ?? 0;
    const r = await manager({ TORNADE_POOL: "FARGATE/X86_64=0" }).tick();
    expect(r.deregistered.map((d) => d.name).sort()).toEqual(idle.map((i) => i.name).sort());
    expect(r.deregistered.every((d) => d.why === "drain")).toBe(true);
    expect([...r.stopped].sort()).toEqual(idle.map((i) => i.name).sort());
    expect(poolRunners().map((x) => x.name)).toEqual([busy]);
    // Deregistered, a runner stops listening and exits by itself; the StopTask makes sure of it.
    expect((bed.aws.control.stats().calls["ecs.StopTask"] ?? 0) - stopsBefore).toBe(idle.length);
    for (const i of idle) await waitFor(`${i.name}'s task to stop`, () => taskOf(i.name)?.lastStatus === "STOPPED");
    expect(taskOf(busy)?.lastStatus).toBe("RUNNING");
    await waitFor("the long job to complete", () => bed.github.control.getJob(jobId)?.conclusion === "success");
  });

  it("outside its schedule the pool is 0: nothing starts, and what runs is drained", async () => {
    const today = localTime(bed.clock.now(), "UTC").day;
    const day = (offset: number) => DAYS[(today + offset) % 7] ?? "Sun";
    // Whole days, so the compressed clock crossing midnight during the test changes nothing.
    const open = manager({ ...fargate2, TORNADE_POOL_SCHEDULE: `${day(0)},${day(1)} 00:00-24:00` });
    const closed = manager({ ...fargate2, TORNADE_POOL_SCHEDULE: `${day(3)} 00:00-24:00` });
    await waitFor("no pool runners", () => poolRunners().length === 0);

    const shut = await closed.tick();
    expect(shut.pools).toEqual([{ backend: "FARGATE", arch: "X86_64", desired: 0, idle: 0, starting: 0, busy: 0 }]);
    expect(shut.launched).toEqual([]);

    expect((await open.tick()).launched).toHaveLength(2);
    await waitFor("two idle pool runners", online(2));
    const drained = await closed.tick();
    expect(drained.deregistered).toHaveLength(2);
    expect(poolRunners()).toEqual([]);
  });

  it("a registration that never came online is replaced after the boot timeout", async () => {
    const d = bed.description();
    const target = { installationId: d.github.installationId, owner: d.github.owner, repo: d.github.repo, scope: "repo" as const };
    // What a crash between generate-jitconfig and RunTask leaves: a registered runner nothing runs, 11 minutes old.
    const orphanName = `tornade-pool-fargate-x86_64-${bed.clock.now() - 11 * 60_000}`;
    await github.generateJitConfig({ ...target, runnerGroupId: 1, name: orphanName, labels: STATIC });
    const m = manager({ TORNADE_POOL: "FARGATE/X86_64=1" });
    const r = await m.tick();
    expect(r.deregistered).toEqual([{ name: orphanName, why: "stale" }]);
    expect(r.launched).toHaveLength(1);
    await waitFor("the replacement online", online(1));
    expect(poolRunners().map((x) => x.name)).not.toContain(orphanName);
    expect((await m.drain()).deregistered).toHaveLength(1);
  });

  it("a capacity shortage is reported and leaves no registration behind; the next round fills the pool", async () => {
    const m = manager({ TORNADE_POOL: "FARGATE_SPOT/X86_64=1" });
    bed.aws.control.capacityShortage({ capacityProvider: "FARGATE_SPOT" });
    const short = await m.tick();
    expect(short.launched).toEqual([]);
    expect(short.failures).toEqual([expect.objectContaining({ backend: "FARGATE_SPOT", arch: "X86_64", kind: "capacity" })]);
    expect(poolRunners("tornade-pool-fargate_spot-")).toEqual([]);

    bed.aws.control.clearCapacityShortage("FARGATE_SPOT");
    expect((await m.tick()).launched).toHaveLength(1);
    const [runner] = await waitFor("the Spot pool runner online", online(1, "tornade-pool-fargate_spot-x86_64-"));
    expect(taskOf(runner?.name ?? "")?.capacity).toBe("FARGATE_SPOT");

    const drained = await m.drain();
    expect(drained.deregistered).toEqual([{ name: runner?.name, why: "drain" }]);
    expect(drained.stopped).toEqual([runner?.name]);
    await waitFor("the Spot task to stop", () => taskOf(runner?.name ?? "")?.lastStatus === "STOPPED");
  });

  it("never stops a busy pool runner that a listing skipped (GitHub pages by offset while runners come and go)", async () => {
    const gh = bed.github.control;
    const d = bed.description();
    const target = { installationId: d.github.installationId, owner: d.github.owner, repo: d.github.repo, scope: "repo" as const };
    await manager(fargate2).drain();
    await waitFor("no pool runner", () => poolRunners().length === 0);
    // 100 registrations older than the pool runner put it first on the second page of 100.
    const fillers = Array.from({ length: 100 - gh.listRunners().length }, (_, i) => gh.createStaticRunner({ name: `filler-${i}`, labels: ["filler"], repo: d.github.repo }).runner);
    const m = manager({ TORNADE_POOL: "FARGATE/X86_64=1" });
    expect((await m.tick()).launched).toHaveLength(1);
    const [runner] = await waitFor("the pool runner online", online(1));
    const jobId = queueStatic(STATIC, 3600);
    await waitFor("the pool runner to take the static job", () => gh.getJob(jobId)?.status === "in_progress");

    // While the round's second page is on its way, a runner on the first page is removed: the page shifts by one.
    const LIST = "GET /repos/{owner}/{repo}/actions/runners";
    const listed = () => gh.stats().requests[LIST] ?? 0;
    const before = listed();
    gh.slowEndpoint({ method: "GET", route: "/repos/{owner}/{repo}/actions/runners", ms: 500 });
    const round = m.tick();
    await waitFor("the second page requested", () => listed() >= before + 2, 10_000);
    await github.deleteRunner(target, fillers[0]!.id);
    const r = await round;
    gh.clearFaults();

    expect(r.stopped).not.toContain(runner?.name);
    expect(taskOf(runner?.name ?? "")?.lastStatus).toBe("RUNNING");
    expect(gh.getJob(jobId)?.status).toBe("in_progress");
  });
  it("counts against maxRunners with job runners, waits its turn behind an older job, and starts as room frees", async () => {
    // Idle runners of the tests above go; a busy one may finish its job meanwhile (busy runners are not the pool's size).
    await manager(fargate2).drain();
    // A store of its own: the limit counts these rows only.
    const own = new SqliteStore(":memory:", bed.clock);
    try {
      const { manager: m, gate } = poolWithGate({ ...fargate2, TORNADE_MAX_RUNNERS: "3" }, own);
      const jobRunner = (jobId: number) => own.putLaunch({ jobId, attempt: 1, backend: "CODEBUILD", arch: "X86_64", runnerName: `tornade-${jobId}-1`, requestedAt: bed.clock.now(), state: "running" });
      await jobRunner(1);
      await jobRunner(2);

      const first = await m.tick();
      expect(first.launched).toHaveLength(1);
      expect(first.held).toEqual([{ backend: "FARGATE", arch: "X86_64", count: 1, reason: "3 runners at the limit of 3" }]);
      const rows = await own.listLaunches(NO_JOB);
      expect(rows.map((r) => [r.runnerName, r.state])).toEqual([[first.launched[0], "launched"]]);
      expect(await own.countActiveLaunches()).toBe(3);

      // A job asks while the pool waits: it is behind the pool in the FARGATE line.
      expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: false });
      const l1 = (await own.listLaunches(1))[0]!;
      await own.updateLaunch(l1.id, l1.version, { state: "stopped" });
      expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: false, reason: expect.stringMatching(/older jobs \(or pool runners\)/) });
      const retried = await m.retryHeld();
      expect(retried.launched).toHaveLength(1);
      expect(retried.held).toEqual([]);
      expect(await own.countActiveLaunches()).toBe(3);
      await waitFor("two idle pool runners", () => poolRunners().filter((r) => r.status === "online" && !r.busy).length === 2);

      // Nothing held: asking again costs nothing and starts nothing.
      const calls = bed.github.control.stats().requests;
      expect((await m.retryHeld()).launched).toEqual([]);
      expect(bed.github.control.stats().requests).toEqual(calls);

      const drained = await m.drain();
      expect(drained.stopped).toHaveLength(2);
      // A stopping task still holds its place: the rows count until their tasks have stopped.
      expect(await own.countActiveLaunches()).toBe(3);
      expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: false });
      for (const name of drained.stopped) await waitFor(`${name}'s task to stop`, () => taskOf(name)?.lastStatus === "STOPPED");
      // The next round closes their rows (no second StopTask): the pool no longer counts, and the waiting job goes next.
      const stops = bed.aws.control.stats().calls["ecs.StopTask"] ?? 0;
      expect((await m.drain()).stopped).toEqual([]);
      expect(bed.aws.control.stats().calls["ecs.StopTask"] ?? 0).toBe(stops);
      expect(await own.countActiveLaunches()).toBe(1);
      expect(await gate.admit(jobWaiter(3), "FARGATE")).toMatchObject({ ok: true });
    } finally {
      await own.close();
    }
  });

  it("closes the row of a start a crash interrupted, so it stops counting against the limits", async () => {
    const own = new SqliteStore(":memory:", bed.clock);
    try {
      const n = bed.clock.now() - 11 * 60_000;
      await own.putLaunch({ jobId: NO_JOB, attempt: n, backend: "FARGATE", arch: "X86_64", runnerName: `tornade-pool-fargate-x86_64-${n}`, requestedAt: n, state: "requested" });
      const { manager: m } = poolWithGate({ TORNADE_POOL: "FARGATE/X86_64=0" }, own);
      await m.tick();
      expect((await own.listLaunches(NO_JOB)).map((r) => r.state)).toEqual(["failed"]);
      expect(await own.countActiveLaunches()).toBe(0);
    } finally {
      await own.close();
    }
  });
});
