/**
 * Scale-set mode end to end (docs/scale-sets.md): tornade (runTornade, as `tornade serve` runs it) configured through
 * the environment with TORNADE_SCALE_SETS against the test bed's scale set service, spoken to by tornade's own client
 * over HTTP. A job whose runs-on names the scale set gets a runner of the scale set through the launch path every job
 * takes, and completes; a webhook job beside it completes too; a JobAssigned message lost for good is made up for by
 * the statistics (a spare runner takes the job); a spare no job needs any more is retired, not left running.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { isScaleSetJob, parseSpareRunnerName } from "../../src/core/scale-set.js";
import type { RunningTornade } from "../../src/server/run.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { until } from "../../testbed/until.js";
import { NO_JOB } from "../../src/store/store.js";
import { RUNNER_NAME_ENV } from "../../src/core/runner-env.js";
import { startScaleSetTornade } from "../support/scale-set-tornade.js";

const SPEED = 300;
const DAY = 24 * 3600_000;
const SET = "ss-linux";
const SPOT = "ss-spot";

let bed: TestBed;
let tornade: RunningTornade;

beforeAll(async () => {
  const clock = scaledClock(SPEED);
  // No requeue within the test: a job whose message is lost is saved by tornade, not by the service offering it again.
  bed = await startTestBed({ clock, runnerLog: () => {}, github: { runnerLostAfterMs: 30 * 60_000, scaleSets: { requeueAfterMs: DAY } } });
  tornade = await startScaleSetTornade(bed, clock, { sets: `${SET}=FARGATE/X86_64:0-4,${SPOT}=FARGATE_SPOT/X86_64:0-4` });
  bed.github.control.setWebhookUrl(`${tornade.url}/events`);
}, 60_000);

afterAll(async () => {
  bed?.github.control.setWebhookUrl(null);
  await tornade?.close();
  await bed?.close();
});

const completed = (id: number) => {
  const job = bed.github.control.getJob(id);
  return job?.status === "completed" && job;
};

describe("tornade serve with a runner scale set", () => {
  it("creates the scale set and holds its session", async () => {
    const view = await until("the scale set and its session", () => bed.github.control.scaleSets.list().find((s) => s.name === SET && s.session?.alive), 20_000);
    expect(view.repo).toBe(bed.description().github.repo);
    expect(await tornade.built.store.getLease(`scale-set:${SET}`)).toMatchObject({ holder: expect.any(String) });
  });

  it("gives a job whose runs-on names the scale set a runner of the scale set, through the launch path, and the job completes", async () => {
    const run = bed.github.control.createRun({ jobs: [{ name: "build", labels: [SET], durationSeconds: 60 }] });
    const id = Number(run.jobs[0]?.id);
    const done = await until("the scale set's job to complete", () => completed(id), 30_000);
    expect(done.conclusion).toBe("success");
    // Stored under its runnerRequestId (negated), launched once, on the runner the launch registered.
    const stored = await until("the stored job to complete", async () => {
      const jobs = (await tornade.built.store.listJobs({ limit: 100 })).jobs.filter((j) => isScaleSetJob(j.id));
      return jobs.find((j) => j.status === "completed" && j.name === "build");
    }, 20_000);
    expect(stored).toMatchObject({ conclusion: "success", decision: { kind: "launch", scaleSet: SET }, runnerName: done.runner_name });
    const launches = await tornade.built.store.listLaunches(stored.id);
    expect(launches).toHaveLength(1);
    expect(launches[0]).toMatchObject({ runnerName: done.runner_name, backend: "FARGATE" });
    // Registered in the scale set, not as a repository runner with the job's labels: the task ran the JIT config
    // generatejitconfig gave, and GitHub's job names that runner.
    expect(done.runner_name).toBe(`tornade-${stored.id}-1`);
  });

  it("serves a webhook job beside it, in the same server", async () => {
    const run = bed.github.control.createRun({
      jobs: [
        { name: "hook", labels: ["self-hosted", "tornade", "runs-on=FARGATE"], durationSeconds: 30 },
        { name: "set", labels: [SET], durationSeconds: 30 },
      ],
    });
    const [hook, set] = run.jobs.map((j) => Number(j.id));
    await until("both jobs to complete", () => completed(hook ?? 0) && completed(set ?? 0), 30_000);
    expect(completed(hook ?? 0)).toMatchObject({ conclusion: "success", runner_name: `tornade-${hook}-1` });
    expect(completed(set ?? 0)).toMatchObject({ conclusion: "success" });
    // The webhook job is stored under GitHub's id, as in webhook mode.
    const stored = await until("the webhook job's completion to be stored", async () => {
      const job = await tornade.built.store.getJob(hook ?? 0);
      return job?.status === "completed" && job;
    }, 20_000);
    expect(stored.decision).toMatchObject({ kind: "launch" });
  });

  it("makes up for a JobAssigned message lost for good: the statistics count the job, a spare runner takes it", async () => {
    bed.github.control.scaleSets.dropMessages("JobAssigned", 1);
    const run = bed.github.control.createRun({ jobs: [{ name: "lost", labels: [SET], durationSeconds: 30 }] });
    const id = Number(run.jobs[0]?.id);
    const done = await until("the job whose message was lost to complete", () => completed(id), 60_000);
    expect(done.conclusion).toBe("success");
    // A spare of the scale set ran it: no stored job had asked for a runner.
    expect(parseSpareRunnerName(done.runner_name ?? "")).toEqual({ scaleSet: SET, n: expect.any(Number) });
    // The only spare: while messages came, every job had its own runner and the statistics started nothing.
    const spares = (await tornade.built.store.listLaunches(NO_JOB)).filter((l) => parseSpareRunnerName(l.runnerName));
    expect(spares.map((l) => l.runnerName)).toEqual([done.runner_name]);
  });

  it("retires a spare runner no job needs any more: its job was cancelled before the spare came up", async () => {
    const before = new Set((await tornade.built.store.listLaunches(NO_JOB)).map((l) => l.runnerName));
    bed.github.control.scaleSets.dropMessages("JobAssigned", 1);
    const run = bed.github.control.createRun({ jobs: [{ name: "cancelled", labels: [SET], durationSeconds: 30 }] });
    const id = Number(run.jobs[0]?.id);
    // Caught as its launch is written, long before its task runs: the job is cancelled while the spare boots.
    const spare = await until("a spare runner for the job whose message was lost", async () => {
      const rows = await tornade.built.store.listLaunches(NO_JOB);
      return rows.find((l) => parseSpareRunnerName(l.runnerName) && !before.has(l.runnerName));
    }, 20_000, 5);
    bed.github.control.cancelRun(run.id);
    // Before: the spare came up, found no job, and idled for ever (found by the chaos run with --intake scale-set).
    const task = () => bed.aws.control.listTasks().find((t) => t.env[RUNNER_NAME_ENV] === spare.runnerName);
    await until("the idle spare's task to stop", () => task()?.lastStatus === "STOPPED");
    expect(bed.github.control.getJob(id)).toMatchObject({ status: "completed", conclusion: "cancelled", runner_name: null });
    expect(bed.github.control.listRunners().filter((r) => r.name === spare.runnerName)).toEqual([]);
  });

  it("re-runs a job whose spare runner was lost to a Spot interruption mid-job", async () => {
    bed.github.control.scaleSets.dropMessages("JobAssigned", 1);
    const run = bed.github.control.createRun({ jobs: [{ name: "on-a-spare", labels: [SPOT], durationSeconds: 600 }] });
    const id = Number(run.jobs[0]?.id);
    const running = await until("the job to run on a spare", () => {
      const job = bed.github.control.getJob(id);
      return job?.status === "in_progress" && parseSpareRunnerName(job.runner_name ?? "") !== null && job;
    }, 20_000);
    const task = bed.aws.control.listTasks().find((t) => t.env[RUNNER_NAME_ENV] === running.runner_name && t.lastStatus === "RUNNING");
    expect(task?.capacity).toBe("FARGATE_SPOT");
    expect(bed.aws.control.interruptSpot(task?.taskArn ?? "")).not.toEqual([]);
    // Before: the job failed with its runner, and tornade, not knowing the spare's launch, never re-ran it.
    const rerun = await until("the job's re-run to complete", () => {
      const attempts = (bed.github.control.getRun(run.id)?.jobs ?? []).filter((j) => j.name === "on-a-spare");
      return attempts.find((j) => (j.run_attempt ?? 1) > 1 && j.status === "completed");
    }, 20_000);
    expect(rerun.conclusion).toBe("success");
  });
});
