/**
 * With a runner limit, a burst waits in order and every job still gets its runner as others finish — and the static
 * pool's runners count against the same limit.
 */
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { E2E_SPEED, until } from "./helpers.js";

let s: Sandbox | undefined;
let pooled: Sandbox | undefined;
afterAll(async () => {
  await s?.close();
  await pooled?.close();
});

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
      env: {
        TORNADE_MAX_RUNNERS: "3",
        TORNADE_POOL: "FARGATE/X86_64=2",
        TORNADE_POOL_OWNER: "tornade-org",
        TORNADE_POOL_REPO: "app",
        TORNADE_POOL_INSTALLATION_ID: "51000001",
      },
    });
    const sb = pooled;
    const gh = sb.bed.github.control;
    const idlePool = () => gh.listRunners().filter((r) => r.name.startsWith("tornade-pool-") && r.status === "online" && !r.busy);
    await until("the pool's two runners online", () => (idlePool().length === 2 ? true : undefined), 30_000);

    // Two pool runners leave room for one job runner at a time; the static job's runner is replaced only as room frees.
    const jobs = await sb.queueScenario({
      jobs: [
        { name: "burst", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"], durationSeconds: 60, count: 4 },
        { name: "static", labels: ["self-hosted", "tornade", "type=static"], durationSeconds: 60, count: 1 },
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
    await until("the pool back at two idle runners", () => (idlePool().length === 2 ? true : undefined), 30_000);
    expect(mostAtOnce(sb.bed.aws.control.listTasks())).toBe(3);
  });
});
