/**
 * Organization-level runners in a runner group, by configuration: the JIT runner registers with the organization
 * (in the configured group), takes its job, and completes it.
 */
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { E2E_SPEED, until } from "./helpers.js";

let s: Sandbox | undefined;
afterAll(async () => {
  await s?.close();
});

describe("organization runners", () => {
  it("register with the organization in the configured runner group and take their job", async () => {
    // The group must exist before tornade starts; a probe sandbox tells us the id the simulator gives it.
    s = await startSandbox({ speed: E2E_SPEED, logger: silentLogger, port: 0, env: { TORNADE_RUNNER_SCOPE: "org", TORNADE_RUNNER_GROUP_ID: "2" } });
    const group = s.bed.github.control.addRunnerGroup("tornade-runners");
    expect(group.id).toBe(2);
    const gh = s.bed.github;
    const stats0 = gh.control.stats();
    const [job] = await s.queueScenario({ jobs: [{ name: "org", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER], durationSeconds: 60, count: 1 }] });
    const done = await until("the job to complete", () => {
      const j = gh.control.getJob(job!.jobId);
      return j?.status === "completed" ? j : undefined;
    });
    expect(done).toMatchObject({ conclusion: "success", runner_name: `tornade-${job!.jobId}-1`, runner_group_id: 2, runner_group_name: "tornade-runners" });
    const requests = gh.control.stats().requests as Record<string, number>;
    const before = stats0.requests as Record<string, number>;
    const count = (k: string) => (requests[k] ?? 0) - (before[k] ?? 0);
    expect(count("POST /orgs/{org}/actions/runners/generate-jitconfig")).toBe(1);
    expect(count("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig")).toBe(0);
  });
});
