/** `type=static` jobs served by tornade's always-on pool, configured the way a user configures it. */
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { E2E_SPEED, until } from "./helpers.js";

let s: Sandbox | undefined;
afterAll(async () => {
  await s?.close();
});

describe("the static pool", () => {
  it("keeps its runners up, serves a static job without launching for it, and tops itself up", async () => {
    // The test bed's repository and installation are fixed names, known before it starts.
    s = await startSandbox({
      speed: E2E_SPEED,
      logger: silentLogger,
      port: 0,
      env: { TORNADE_POOL: "FARGATE/X86_64=2", TORNADE_POOL_OWNER: "tornade-org", TORNADE_POOL_REPO: "app", TORNADE_POOL_INSTALLATION_ID: "51000001", TORNADE_POOL_INTERVAL_SECONDS: "3600" },
    });
    const sb = s;
    const gh = sb.bed.github.control;
    const poolRunners = () => gh.listRunners().filter((r) => r.name.startsWith("tornade-pool-") && r.status === "online");
    await until("two pool runners online", () => (poolRunners().length === 2 ? true : undefined), 30_000);

    const [job] = await sb.queueScenario({ jobs: [{ name: "static", labels: ["self-hosted", "tornade", "type=static"], durationSeconds: 1800, count: 1 }] });
    // Topped up as soon as a pool runner takes the job (its webhook nudges the pool), not at the next round — which,
    // with a 1-hour interval, would come after this 30-minute job has ended.
    await until("a pool runner to take the job", () => (gh.getJob(job!.jobId)?.status === "in_progress" ? true : undefined), 30_000);
    await until("two idle pool runners again while the job runs", () => (poolRunners().filter((r) => !r.busy).length === 2 ? true : undefined), 30_000);
    expect(gh.getJob(job!.jobId)?.status).toBe("in_progress");
    const done = await until("the static job to complete", () => {
      const j = gh.getJob(job!.jobId);
      return j?.status === "completed" ? j : undefined;
    }, 30_000);
    expect(done.conclusion).toBe("success");
    expect(done.runner_name).toMatch(/^tornade-pool-fargate-x86_64-/);
    // tornade launched nothing for the job itself: the pool served it.
    expect(await sb.tornade.built.store.listLaunches(job!.jobId)).toHaveLength(0);
    expect((await sb.tornade.built.store.getJob(job!.jobId))?.decision).toMatchObject({ kind: "static" });
    await until("the pool back at two idle runners", () => (poolRunners().filter((r) => !r.busy).length === 2 ? true : undefined), 30_000);
  });
});
