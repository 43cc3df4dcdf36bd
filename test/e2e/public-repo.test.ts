/**
 * The public-repository policy end to end: the simulated GitHub sends a public repository's queued job, tornade files
 * it as rejected with the setting to change and launches nothing; with the opt-in the same job gets its runner.
 */
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { E2E_SPEED, until } from "./helpers.js";

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function publicJob(env: Record<string, string>): Promise<{ sb: Sandbox; jobId: number }> {
  const sb = await startSandbox({ speed: E2E_SPEED, logger: silentLogger, port: 0, env });
  s = sb;
  sb.bed.github.control.setRepositoryVisibility("oss", "public");
  const run = sb.bed.github.control.createRun({ repo: "oss", jobs: [{ name: "pr", labels: ["self-hosted", "tornade", "runs-on=FARGATE_SPOT"], durationSeconds: 30 }] });
  return { sb, jobId: Number(run.jobs[0]?.id) };
}

describe("a public repository's job", () => {
  it("is rejected by default with the setting named, and nothing is launched", async () => {
    const { sb, jobId } = await publicJob({});
    const job = await until("the job on record", async () => (await sb.tornade.built.store.getJob(jobId)) ?? undefined);
    expect(job.decision).toMatchObject({ kind: "rejected" });
    expect(JSON.stringify(job.decision)).toMatch(/is public.*TORNADE_ALLOW_PUBLIC_REPOSITORIES=true/);
    await sb.bed.github.control.deliveriesIdle();
    expect(sb.bed.aws.control.listTasks()).toEqual([]);
    expect(sb.bed.github.control.getJob(jobId)?.status).toBe("queued");
  });

  it("runs when the operator opts in", async () => {
    const { sb, jobId } = await publicJob({ TORNADE_ALLOW_PUBLIC_REPOSITORIES: "true" });
    const done = await until("the job completed", () => {
      const j = sb.bed.github.control.getJob(jobId);
      return j?.status === "completed" ? j : undefined;
    });
    expect(done.conclusion).toBe("success");
    expect(sb.bed.aws.control.listTasks().map((t) => t.capacity)).toEqual(["FARGATE_SPOT"]);
  });
});
