/** With a runner limit, a burst waits in order and every job still gets its runner as others finish. */
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { E2E_SPEED, until } from "./helpers.js";

let s: Sandbox | undefined;
afterAll(async () => {
  await s?.close();
});

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
});
