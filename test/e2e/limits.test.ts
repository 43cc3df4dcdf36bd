/**
 * With a runner limit, a burst waits in order and every job still gets its runner as others finish — and the static
 * pool's runners count against the same limit.
 */
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { parseExposition, total } from "../support/exposition.js";
import { E2E_SPEED, until } from "./helpers.js";

let s: Sandbox | undefined;
let pooled: Sandbox | undefined;
let full: Sandbox | undefined;
// Each test's sandbox goes with it: one still running would slow the next one's clock-driven timing down.
afterEach(async () => {
  await Promise.all([s?.close(), pooled?.close(), full?.close()]);
  s = pooled = full = undefined;
});

/** A static pool of two FARGATE/X86_64 runners in the repository the scenarios queue their jobs in. */
const POOL_OF_TWO = { TORNADE_POOL: "FARGATE/X86_64=2", TORNADE_POOL_OWNER: "tornade-org", TORNADE_POOL_REPO: "app", TORNADE_POOL_INSTALLATION_ID: "51000001" };
const FARGATE_JOB = ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"];
const STATIC_JOB = ["self-hosted", "tornade", "type=static"];

/** Two idle pool runners online on the simulated GitHub. */
function poolUp(sb: Sandbox): Promise<true> {
  const idle = () => sb.bed.github.control.listRunners().filter((r) => r.name.startsWith("tornade-pool-") && r.status === "online" && !r.busy);
  return until("the pool's two runners online and idle", () => (idle().length === 2 ? true : undefined), 30_000);
}

/** What /metrics says the launch gate holds back on `backend`. */
async function waiting(sb: Sandbox, backend: string): Promise<number> {
  const res = await fetch(`${sb.tornade.adminUrl}/metrics`);
  return total(parseExposition(await res.text()), "tornade_launch_waiting", { backend });
}

/** The most tasks that were ever alive at once (created, not yet stopped), from the test bed's own timestamps. */
function mostAtOnce(tasks: readonly { createdAt: number; stoppedAt?: number | undefined }[]): number {
  // At the same instant a stop comes before a start: a task stopped at t and one created at t never overlap.
  const events = tasks.flatMap((t) => [[t.createdAt, 1] as const, ...(t.stoppedAt === undefined ? [] : [[t.stoppedAt, -1] as const])]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let alive = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (alive += d));
  return most;
}

describe("runner limits", () => {
  it("never runs more than TORNADE_MAX_RUNNERS at once, and completes every job", async () => {
    s = await startSandbox({ speed: E2E_SPEED, logger: silentLogger, port: 0, env: { TORNADE_MAX_RUNNERS: "2" } });
    const sb = s;
    const jobs = await sb.queueScenario({
      jobs: [{ name: "burst", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"], durationSeconds: 60, count: 6 }],
    });
    let most = 0;
    const gh = sb.bed.github.control;
    await until(
      "every job to complete",
      () => {
        const live = sb.bed.aws.control.listTasks().filter((t) => t.lastStatus !== "STOPPED").length;
        most = Math.max(most, live);
        return jobs.every((j) => gh.getJob(j.jobId)?.status === "completed") ? true : undefined;
      },
      60_000,
    );
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    // Identical siblings run on each other's runners (a job may have none of its own, another two), but every runner
    // ran exactly one job: never more launches than jobs.
    const counts = await Promise.all(jobs.map(async (j) => (await sb.tornade.built.store.listLaunches(j.jobId)).length));
    expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(jobs.length);
  });
  it("counts the static pool's runners too: pool and job runners together never exceed TORNADE_MAX_RUNNERS", async () => {
    pooled = await startSandbox({
      speed: E2E_SPEED,
      logger: silentLogger,
      port: 0,
      env: { TORNADE_MAX_RUNNERS: "3", ...POOL_OF_TWO },
    });
    const sb = pooled;
    const gh = sb.bed.github.control;
    await poolUp(sb);

    // Two pool runners leave room for one job runner at a time; the static job's runner is replaced only as room frees.
    const jobs = await sb.queueScenario({
      jobs: [
        { name: "burst", labels: FARGATE_JOB, durationSeconds: 60, count: 4 },
        { name: "static", labels: STATIC_JOB, durationSeconds: 60, count: 1 },
      ],
    });
    let sampled = 0;
    await until(
      "every job to complete",
      () => {
        sampled = Math.max(sampled, sb.bed.aws.control.listTasks().filter((t) => t.lastStatus !== "STOPPED").length);
        return jobs.every((j) => gh.getJob(j.jobId)?.status === "completed") ? true : undefined;
      },
      60_000,
    );
    const tasks = sb.bed.aws.control.listTasks();
    // The pool and the jobs did share the ceiling: it was reached, never passed.
    expect(mostAtOnce(tasks)).toBe(3);
    expect(sampled).toBeLessThanOrEqual(3);
    const staticJob = jobs.find((j) => j.name === "static");
    expect(gh.getJob(staticJob?.jobId ?? 0)?.runner_name).toMatch(/^tornade-pool-fargate-x86_64-/);
    for (const j of jobs.filter((x) => x.name !== "static")) expect(gh.getJob(j.jobId)?.runner_name).toMatch(/^tornade-\d+-\d+$/);
    // The pool tops itself up to two once there is room again.
    await poolUp(sb);
    expect(mostAtOnce(sb.bed.aws.control.listTasks())).toBe(3);
  });

  it("holds a job while the pool fills TORNADE_MAX_RUNNERS, and gives it the first place that frees", async () => {
    // A held job keeps its place while it asks at least every 20 simulated seconds (launch-gate.ts WAITER_TTL_MS): at
    // E2E_SPEED that is 67 ms of real time, which a loaded machine can pause for; at 60× it is a third of a second.
    full = await startSandbox({ speed: 60, logger: silentLogger, port: 0, env: { TORNADE_MAX_RUNNERS: "2", ...POOL_OF_TWO } });
    const sb = full;
    const gh = sb.bed.github.control;
    await poolUp(sb);

    const [job] = await sb.queueScenario({ jobs: [{ name: "held", labels: FARGATE_JOB, durationSeconds: 60, count: 1 }] });
    if (!job) throw new Error("the scenario queued no job");
    // The pool's two runners are the limit: the job asks the launch gate and waits in its line, nothing started for it.
    await until("the job waiting in the FARGATE line", async () => ((await waiting(sb, "FARGATE")) === 1 ? true : undefined), 30_000);
    expect(await sb.tornade.built.store.listLaunches(job.jobId)).toEqual([]);
    expect(gh.getJob(job.jobId)?.status).toBe("queued");
    expect(sb.bed.aws.control.listTasks().filter((t) => t.lastStatus !== "STOPPED")).toHaveLength(2);

    // A static job takes a pool runner. When it is done the runner's place frees: the waiting job, there first, gets
    // it; the pool's replacement, asking since the static job took its runner, waits behind it.
    const [staticJob] = await sb.queueScenario({ jobs: [{ name: "static", labels: STATIC_JOB, durationSeconds: 60, count: 1 }] });
    if (!staticJob) throw new Error("the scenario queued no static job");
    await until("both jobs to complete", () => [job, staticJob].every((j) => gh.getJob(j.jobId)?.status === "completed") || undefined, 60_000);
    expect(gh.getJob(job.jobId)?.runner_name).toBe(`tornade-${job.jobId}-1`);
    expect(gh.getJob(staticJob.jobId)?.runner_name).toMatch(/^tornade-pool-fargate-x86_64-/);
    await poolUp(sb);
    expect(await waiting(sb, "FARGATE")).toBe(0);

    const tasks = sb.bed.aws.control.listTasks();
    expect(mostAtOnce(tasks)).toBe(2);
    const jobTask = tasks.find((t) => t.startedBy === `tornade-${job.jobId}-1`);
    const poolTasks = tasks.filter((t) => t !== jobTask).sort((a, b) => a.createdAt - b.createdAt);
    const [first, second, replacement] = poolTasks;
    if (!jobTask?.stoppedAt || !first || !second || !replacement) throw new Error(`expected the job's task and three pool tasks, got ${tasks.length} tasks`);
    // The job's runner started only once the static job's pool runner had stopped...
    const freed = Math.min(first.stoppedAt ?? Infinity, second.stoppedAt ?? Infinity);
    expect(jobTask.createdAt).toBeGreaterThanOrEqual(freed);
    // ...and the pool's replacement only once the job's runner had stopped in turn: first come, first served.
    expect(replacement.createdAt).toBeGreaterThanOrEqual(jobTask.stoppedAt);
  });
});
