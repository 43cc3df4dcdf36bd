/**
 * Standby runners against the test bed (docs/standby.md): the real OctokitGitHub and ECS provider over HTTP, the real
 * SSM handoff, the simulated runner waiting as a standby, every standby started by the real Launcher through its
 * launch gate, and a SQLite store holding the rows. The reconciler's part (asking for a handoff before a cold launch)
 * is exercised end to end in test/e2e/standby.test.ts; here the handoff is called as the reconciler calls it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { loadConfig, policyOf } from "../config/index.js";
import { interpretLabels } from "../core/labels.js";
import { STOP_AGAIN_MS, standbyCandidates, standbyShapeKey, standbyShapeLabels, type StandbyTarget } from "../core/standby.js";
import type { Backend, LaunchSpec } from "../core/types.js";
import { OctokitGitHub } from "../github/octokit-github.js";
import { createLogger } from "../log/logger.js";
import type { SsmJitHandoff } from "../providers/jit-handoff.js";
import type { Provider } from "../providers/provider.js";
import { testBedEnv } from "../sandbox/sandbox.js";
import { SqliteStore } from "../store/sqlite-store.js";
import type { JobRecord, LaunchRecord } from "../store/store.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { until } from "../../testbed/until.js";
import { bedPorts } from "../../test/support/bed-ports.js";
import { LaunchGate } from "./launch-gate.js";
import { Launcher } from "./launcher.js";
import { noopObserver } from "./observer.js";
import { Tracker } from "./tracker.js";
import { sqliteQueue } from "../queue/sqlite-queue.js";
import { sqliteIntake } from "../store/intake.js";
import { StandbyManager, viewOf, type StandbyManagerPolicy } from "./standby.js";
import { handOff } from "./standby-handoff.js";

// At 200× a Fargate task is RUNNING (30 s simulated) in ~0.15 s real.
const SPEED = 200;
const LABELS = ["self-hosted", "tornade", "runs-on=FARGATE", "arch=X86_64"];
/** The AWS SDK's standard retry mode: three attempts per call. */
const SDK_ATTEMPTS = 3;

let bed: TestBed;
let github: OctokitGitHub;
let handoff: SsmJitHandoff;
let providers: Map<Backend, Provider>;
let store: SqliteStore;
const logger = createLogger({ level: "silent" });

beforeAll(async () => {
  bed = await startTestBed({ clock: scaledClock(SPEED), runnerLog: () => {} });
  ({ github, providers, handoff } = bedPorts(bed));
});

beforeEach(async () => {
  await store?.close();
  store = new SqliteStore(":memory:", bed.clock);
});

afterAll(async () => {
  await store?.close();
  await bed?.close();
});

function specOf(labels: readonly string[]): LaunchSpec {
  const v = interpretLabels(labels, policyOf(loadConfig(testBedEnv(bed))));
  if (v.kind !== "launch") throw new Error(`labels ${labels.join(", ")} launch nothing: ${JSON.stringify(v)}`);
  return v.spec;
}

/** Standbys of the FARGATE/X86_64 shape, as tornade serve will build them, and the launcher they start through. */
function standbys(count: number, policy: Partial<StandbyManagerPolicy> = {}, backend: Backend = "FARGATE") {
  const config = loadConfig(testBedEnv(bed));
  const spec = specOf(standbyShapeLabels(config.launchLabel, { backend, arch: "X86_64" }));
  const target: StandbyTarget = { shape: standbyShapeKey(spec), spec, count };
  const placement = { scope: config.github.runnerScope, runnerGroupId: config.github.runnerGroupId };
  const launcher = new Launcher({ store, github, providers, gate: new LaunchGate(store, bed.clock, config.limits), placement, clock: bed.clock, logger, observer: noopObserver });
  const manager = new StandbyManager({ launcher, store, github, handoff, targets: [target], clock: bed.clock, logger, policy });
  /** The standby rows a job of `spec` may take, best first, as handOff reads them. */
  const candidates = async (jobSpec: LaunchSpec): Promise<LaunchRecord[]> => {
    const rows = await manager.rows();
    const views = standbyCandidates(standbyShapeKey(jobSpec), rows.map(viewOf), bed.clock.now(), manager.policy);
    return views.flatMap((v) => rows.filter((r) => r.id === v.id));
  };
  const deps = { store, github, handoff, clock: bed.clock, logger };
  const queue = sqliteQueue(store.handle, bed.clock);
  const tracker = new Tracker({ store, intake: sqliteIntake(store, queue), providers, clock: bed.clock, logger, observer: noopObserver });
  return { manager, launcher, target, deps, candidates, tracker, queue };
}

/** A queued job on the GitHub sim, stored as intake stores it. */
async function queuedJob(labels: readonly string[], durationSeconds: number): Promise<JobRecord> {
  const d = bed.description();
  const run = bed.github.control.createRun({ jobs: [{ name: "warm", labels: [...labels], durationSeconds }] });
  const id = Number(run.jobs[0]?.id);
  const now = bed.clock.now();
  await store.createJobIfAbsent({
    id,
    runId: run.id,
    runAttempt: 1,
    repository: `${d.github.owner}/${d.github.repo}`,
    owner: d.github.owner,
    repo: d.github.repo,
    installationId: d.github.installationId,
    labels,
    name: "warm",
    status: "queued",
    createdAt: now,
    receivedAt: now,
  });
  const job = await store.getJob(id);
  if (!job) throw new Error("job not stored");
  return job;
}

const taskOf = (runnerName: string) => bed.aws.control.listTasks().find((t) => t.env["TORNADE_RUNNER_NAME"] === runnerName);

/** The task or build running as `runnerName`, whichever backend it is on: running, or stopped (by whom: `reason`). */
function runnerOf(runnerName: string): { status: "running" | "starting" | "stopped" } | undefined {
  const task = taskOf(runnerName);
  if (task) return { status: task.lastStatus === "RUNNING" ? "running" : task.lastStatus === "STOPPED" ? "stopped" : "starting" };
  const build = bed.aws.control.listBuilds().find((b) => b.env["TORNADE_RUNNER_NAME"] === runnerName);
  if (build) return { status: build.buildStatus !== "IN_PROGRESS" ? "stopped" : build.currentPhase === "BUILD" ? "running" : "starting" };
  return undefined;
}

describe("standby runners on the test bed", () => {
  it("keep a task booted and registered nowhere; a job of its shape runs on it, the parameter is gone after use, and a replacement starts", async () => {
    const s = standbys(1);
    const first = await s.manager.tick();
    expect(first.failures).toEqual([]);
    expect(first.launched).toHaveLength(1);
    const [row] = await s.manager.rows();
    if (!row?.standby) throw new Error("no standby row");
    expect(row.standby).toMatchObject({ shape: s.target.shape, status: { kind: "free" } });
    await until("the standby's task to run", () => taskOf(row.runnerName)?.lastStatus === "RUNNING", 15_000);
    // Waiting: no runner registered, no config written.
    expect(bed.github.control.listRunners()).toEqual([]);
    expect(bed.aws.control.listParameters().map((p) => p.name)).not.toContain(row.standby.parameter);
    expect((await s.manager.tick()).launched).toEqual([]);

    const job = await queuedJob(LABELS, 60);
    const spec = specOf(job.labels);
    const out = await s.manager.handOff(s.launcher.forJob(job, 1, spec));
    expect(out).toMatchObject({ kind: "launched", standbyId: row.id, handle: { id: row.providerId } });
    expect(await store.listLaunches(job.id)).toEqual([expect.objectContaining({ state: "launched", handoffFrom: row.id, providerId: row.providerId })]);
    expect(await store.getLaunch(row.id)).toMatchObject({ state: "stopped", standby: { status: { kind: "claimed", jobId: job.id, attempt: 1 } } });

    const done = await until("the job to complete", () => {
      const j = bed.github.control.getJob(job.id);
      return j?.status === "completed" && j;
    }, 15_000);
    expect(done).toMatchObject({ conclusion: "success", runner_name: `tornade-${job.id}-1` });
    // It ran on the standby's task: nothing was launched for the job itself.
    expect(bed.aws.control.listTasks().filter((t) => t.env["TORNADE_JOB_ID"] === String(job.id))).toEqual([]);
    expect(bed.aws.control.listParameters().map((p) => p.name)).not.toContain(row.standby.parameter);

    const next = await s.manager.tick();
    expect(next.launched).toHaveLength(1);
    expect(next.launched).not.toContain(row.id);
  });

  it("gives one standby to one job: of two jobs asking at once, the other launches cold", async () => {
    const s = standbys(1);
    await s.manager.tick();
    const [a, b] = [await queuedJob(LABELS, 30), await queuedJob(LABELS, 30)];
    const spec = specOf(LABELS);
    expect(await s.candidates(spec)).toHaveLength(1);
    const outs = await Promise.all([a, b].map((j) => s.manager.handOff(s.launcher.forJob(j, 1, spec))));
    expect(outs.map((o) => o.kind).sort()).toEqual(["launched", "none"]);
    const loser = outs[0]?.kind === "none" ? a : b;
    expect(await store.listLaunches(loser.id)).toEqual([]);
  });

  it("hands one job's attempt to one standby: a second worker on the same attempt writes nothing and frees its claim", async () => {
    const s = standbys(2);
    await s.manager.tick();
    const job = await queuedJob(LABELS, 30);
    const spec = specOf(LABELS);
    const [first, second] = await s.candidates(spec);
    if (!first || !second) throw new Error("two standbys expected");
    expect((await handOff(s.deps, s.launcher.forJob(job, 1, spec), [first])).kind).toBe("launched");
    expect(await handOff(s.deps, s.launcher.forJob(job, 1, spec), [second])).toEqual({ kind: "skipped" });
    expect((await store.getLaunch(second.id))?.standby?.status).toEqual({ kind: "free" });
    expect(await store.listLaunches(job.id)).toHaveLength(1);
  });

  it("settles a claim nothing followed up once its lease has passed: the standby is free again", async () => {
    const s = standbys(1, { claimLeaseMs: 1_000 });
    await s.manager.tick();
    const [row] = await s.manager.rows();
    if (!row?.standby) throw new Error("no standby row");
    // A claimant that died before writing the job's launch row.
    await store.updateLaunch(row.id, row.version, { standby: { ...row.standby, status: { kind: "claimed", jobId: 424242, attempt: 1, at: bed.clock.now() } } });
    const early = await s.manager.tick();
    expect(early.released).toEqual([]);
    const start = bed.clock.now();
    await until("the claim lease to pass", () => bed.clock.now() - start > 1_000, 5_000);
    const settled = await s.manager.tick();
    expect(settled.released).toEqual([row.id]);
    expect((await store.getLaunch(row.id))?.standby?.status).toEqual({ kind: "free" });
  });

  it("adopts an abandoned handoff whose standby took the job rather than stop it mid-job; retires one whose config is dead", async () => {
    const s = standbys(2, { claimLeaseMs: 1_000 });
    await s.manager.tick();
    const rows = await s.manager.rows();
    await until("both standbys to run", () => rows.every((r) => taskOf(r.runnerName)?.lastStatus === "RUNNING"), 15_000);
    // The controller dies right after the config is written: the job's row stays "requested", the claim unsettled.
    const dies = { ...s.deps, handoff: { handTo: async (p: string, l: { runnerName: string; jitConfig: string }) => (await handoff.handTo(p, l), Promise.reject(new Error("SIGKILL"))) } };
    // Labels of its own (a passed-through label, the default arch unsaid): no job another test left queued matches
    // this runner, nor any other runner this job.
    const labels = ["self-hosted", "tornade", "runs-on=FARGATE", "adopt-test"];
    const spec = specOf(labels);
    const taken = await queuedJob(labels, 120);
    const [first] = await s.candidates(spec);
    if (!first) throw new Error("no standby");
    await expect(handOff(dies, s.launcher.forJob(taken, 1, spec), [first])).rejects.toThrow("SIGKILL");
    await until("the standby to take the job", () => bed.github.control.getJob(taken.id)?.status === "in_progress", 15_000);
    // Reconcile abandons the request after its lease (what a restarted controller does): the row fails.
    const row = await store.getLaunch(`${taken.id}-1`);
    if (!row) throw new Error("no launch row");
    await s.launcher.abandon(row, "launch interrupted before the provider answered");
    // A second claim whose config nobody will use: generated, written nowhere the standby reads (the claimant died first).
    const idle = await queuedJob(labels, 30);
    const [second] = await s.candidates(spec);
    if (!second) throw new Error("no second standby");
    const diesEarly = { ...s.deps, handoff: { handTo: () => Promise.reject(new Error("SIGKILL")) } };
    await expect(handOff(diesEarly, s.launcher.forJob(idle, 1, spec), [second])).rejects.toThrow("SIGKILL");

    const start = bed.clock.now();
    await until("the claim lease to pass", () => bed.clock.now() - start > 1_000, 5_000);
    const settled = await s.manager.tick();
    expect(settled.adopted).toEqual([first.id]);
    expect(settled.retired).toEqual([{ id: second.id, why: "handoff-abandoned" }]);
    expect(await store.getLaunch(`${taken.id}-1`)).toMatchObject({ state: "launched", providerId: first.providerId });
    expect(await store.getLaunch(first.id)).toMatchObject({ state: "stopped" });
    // The job ran to its end on the standby; the dead config's registration is gone.
    const done = await until("the job to complete", () => {
      const j = bed.github.control.getJob(taken.id);
      return j?.status === "completed" && j;
    }, 15_000);
    expect(done).toMatchObject({ conclusion: "success", runner_name: `tornade-${taken.id}-1` });
    expect(bed.github.control.listRunners().map((r) => r.name)).not.toContain(`tornade-${idle.id}-1`);
  });

  it("replaces a Spot standby interrupted while it waits", async () => {
    const s = standbys(1, {}, "FARGATE_SPOT");
    await s.manager.tick();
    const [row] = await s.manager.rows();
    if (!row?.providerId) throw new Error("no standby launched");
    await until("the standby's task to run", () => taskOf(row.runnerName)?.lastStatus === "RUNNING", 15_000);
    expect(bed.aws.control.interruptSpot(row.providerId)).toEqual([row.providerId]);
    await until("the tracker to see it stopped", async () => (await s.tracker.track(), (await store.getLaunch(row.id))?.state === "stopped"), 15_000);
    expect(await store.getLaunch(row.id)).toMatchObject({ spotInterrupted: true });
    const next = await s.manager.tick();
    expect(next.launched).toHaveLength(1);
    expect(next.launched).not.toContain(row.id);
  });

  for (const backend of ["FARGATE", "CODEBUILD"] as const) {
    it(`stops a standby whose start was cut short (no ${backend} runner recorded) when it retires it, rather than leave it running`, async () => {
      const s = standbys(1, { bootTimeoutMs: 1_000 }, backend);
      await s.manager.tick();
      const [row] = await s.manager.rows();
      if (!row?.providerId) throw new Error("no standby launched");
      await until("the standby's runner to run", () => runnerOf(row.runnerName)?.status === "running", 15_000);
      // The controller was killed after RunTask / StartBuild landed, before its answer was recorded: the row names none.
      await store.updateLaunch(row.id, row.version, { state: "requested", providerId: null, launchedAt: null });
      const start = bed.clock.now();
      await until("the boot timeout to pass", () => bed.clock.now() - start > 1_000, 5_000);
      const round = await s.manager.tick();
      expect(round.retired).toContainEqual({ id: row.id, why: "stale" });
      expect(await store.getLaunch(row.id)).toMatchObject({ providerId: row.providerId, standby: { status: { kind: "retired", why: "stale" } } });
      await until("its runner to stop", () => runnerOf(row.runnerName)?.status === "stopped", 15_000);
      await until("its row to be closed", async () => (await s.manager.tick(), (await store.getLaunch(row.id))?.state === "stopped"), 15_000);
    });
  }

  for (const [backend, service, operation, error] of [
    ["FARGATE", "ecs", "RunTask", "ServerException"],
    ["CODEBUILD", "codebuild", "StartBuild", "InternalFailure"],
  ] as const) {
    it(`records a standby whose ${operation} landed though every answer was lost, rather than leave it running unfollowed`, async () => {
      const s = standbys(1, {}, backend);
      // Each of the SDK's attempts lands (the same one: the idempotency token) and each answer is a server fault.
      bed.aws.control.failNext({ service, operation, error, times: SDK_ATTEMPTS, afterApplying: true });
      const round = await s.manager.tick();
      expect(round.failures).toEqual([]);
      const [row] = await s.manager.rows();
      if (!row) throw new Error("no standby row");
      // One runner started, and its row follows it (before: "failed", no provider id, the runner left to its deadline).
      const started = [...bed.aws.control.listTasks().map((t) => ({ id: t.taskArn, env: t.env })), ...bed.aws.control.listBuilds()];
      const mine = started.filter((r) => r.env["TORNADE_RUNNER_NAME"] === row.runnerName);
      expect(mine).toHaveLength(1);
      expect(row).toMatchObject({ state: "launched", providerId: mine[0]?.id });
      await until("the standby's runner to run", () => runnerOf(row.runnerName)?.status === "running", 15_000);
      await s.launcher.stopUnregistered(row, "test");
      await until("its runner to stop", () => runnerOf(row.runnerName)?.status === "stopped", 15_000);
    });
  }

  it("stops again a retired standby still running long after its retirement (a stop lost to a crash), and not before", async () => {
    const s = standbys(1);
    await s.manager.tick();
    const [row] = await s.manager.rows();
    if (!row?.providerId || !row.standby) throw new Error("no standby launched");
    await until("the standby's task to run", () => taskOf(row.runnerName)?.lastStatus === "RUNNING", 15_000);
    // Marked retired, then the controller died before sending the stop: the task runs on.
    const retiredAt = bed.clock.now();
    const current = await store.getLaunch(row.id);
    await store.updateLaunch(row.id, current!.version, { standby: { ...row.standby, status: { kind: "retired", why: "surplus", at: retiredAt } } });
    await s.manager.tick();
    // Not yet overdue: a stop in flight is given time to show.
    expect(taskOf(row.runnerName)?.lastStatus).toBe("RUNNING");
    await until("the stop to be overdue", () => bed.clock.now() - retiredAt >= STOP_AGAIN_MS, 15_000);
    await s.manager.tick();
    await until("its task to stop", () => taskOf(row.runnerName)?.lastStatus === "STOPPED", 15_000);
    // Stopped by tornade, not by the standby's own deadline (which a 15 s wait at this speed would also reach).
    expect(taskOf(row.runnerName)?.stoppedReason).toBe("tornade: standby recycled");
    await until("its row to be closed", async () => (await s.manager.tick(), (await store.getLaunch(row.id))?.state === "stopped"), 15_000);
  });

  it("wakes the job a Spot standby is claimed for when its task stops: its row may be the only one following the task", async () => {
    const s = standbys(1, {}, "FARGATE_SPOT");
    await s.manager.tick();
    const [row] = await s.manager.rows();
    if (!row?.providerId || !row.standby) throw new Error("no standby launched");
    await until("the standby's task to run", () => taskOf(row.runnerName)?.lastStatus === "RUNNING", 15_000);
    // Claimed for a job whose handoff never reached its launch row (core/standby.ts attemptRunner).
    const current = await store.getLaunch(row.id);
    await store.updateLaunch(row.id, current!.version, { standby: { ...row.standby, status: { kind: "claimed", jobId: 4343, attempt: 1, at: bed.clock.now() } } });
    expect(bed.aws.control.interruptSpot(row.providerId)).toEqual([row.providerId]);
    await until("the tracker to see it stopped", async () => (await s.tracker.track(), (await store.getLaunch(row.id))?.state === "stopped"), 15_000);
    expect(await store.getLaunch(row.id)).toMatchObject({ spotInterrupted: true, standby: { status: { kind: "claimed", jobId: 4343 } } });
    const looks = await s.queue.receive(100, 60_000);
    expect(looks.map((l) => l.payload)).toContainEqual({ jobId: 4343 });
  });
});
