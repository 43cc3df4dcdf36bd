/**
 * Organization scope with an allow-list, and a runner group open to every repository (what `tornade check` flags):
 * a job of a repository tornade refuses takes the runner launched for an allowed job, exactly as GitHub would hand it
 * over. tornade logs and counts it as a policy violation (log line, /metrics, dashboard), and the allowed job still
 * gets a runner of its own and completes.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { parseExposition, total } from "../support/exposition.js";
import { E2E_SPEED, until } from "./helpers.js";

let s: Sandbox;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  s = await startSandbox({
    speed: E2E_SPEED,
    logger: createLogger({ level: "warn", destination }),
    port: 0,
    // Group 2 is created below, open to all repositories: the configuration check cannot see that, `tornade check` can.
    env: { TORNADE_RUNNER_SCOPE: "org", TORNADE_RUNNER_GROUP_ID: "2", TORNADE_ALLOWED_REPOSITORIES: "tornade-org/app" },
  });
});
afterAll(async () => {
  await s?.close();
});

describe("a runner taken by a job tornade refuses", () => {
  it("is logged, counted and shown as a policy violation, and the allowed job still runs", async () => {
    const gh = s.bed.github;
    expect(gh.control.addRunnerGroup("everyone", { visibility: "all" }).id).toBe(2);
    expect(`${gh.owner}/${gh.repo}`).toBe("tornade-org/app");

    // GitHub sends the foreign job's in_progress twice: one taking, counted once.
    gh.control.duplicateDeliveries({ jobName: "foreign", action: "in_progress" });
    // Queued first, so GitHub serves it first; its labels are a subset of the allowed job's runner's.
    const foreign = gh.control.createRun({ repo: "outside", jobs: [{ name: "foreign", labels: ["self-hosted", "tornade"], durationSeconds: 60 }] }).jobs[0];
    const [allowed] = await s.queueScenario({ jobs: [{ name: "allowed", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER], durationSeconds: 60, count: 1 }] });
    const foreignId = Number(foreign?.id);
    const allowedId = allowed?.jobId ?? 0;

    const done = await until("the allowed job to complete", () => {
      const j = gh.control.getJob(allowedId);
      return j?.status === "completed" ? j : undefined;
    }, 60_000);
    expect(done).toMatchObject({ conclusion: "success", runner_name: `tornade-${allowedId}-2` });
    // GitHub gave the first runner to the foreign job, as it would with a group open to every repository.
    expect(gh.control.getJob(foreignId)?.runner_name).toBe(`tornade-${allowedId}-1`);

    const violation = lines.find((l) => l["msg"] === "policy violation: a job tornade refuses took a runner launched for another job");
    expect(violation).toMatchObject({ jobId: foreignId, repository: "tornade-org/outside", runnerName: `tornade-${allowedId}-1`, launchedFor: allowedId });
    expect(String(violation?.["reason"])).toMatch(/not in this tornade's allowed repositories/);

    await gh.control.deliveriesIdle();
    expect(gh.control.listDeliveries().filter((d) => d.jobId === foreignId && d.action === "in_progress")).toHaveLength(2);
    expect(lines.filter((l) => l["msg"] === violation?.["msg"])).toHaveLength(1);
    const metrics = parseExposition(await (await fetch(`${s.tornade.adminUrl}/metrics`)).text());
    expect(total(metrics, "tornade_policy_violations_total", { kind: "runner-taken" })).toBe(1);

    const state = (await (await fetch(`${s.tornade.adminUrl}/api/state`)).json()) as { policyViolations: number; events: { kind: string; jobId: number; message: string }[] };
    expect(state.policyViolations).toBe(1);
    const event = state.events.find((e) => e.kind === "policy-violation");
    expect(event).toMatchObject({ jobId: allowedId });
    expect(event?.message).toContain(`taken by job ${foreignId} of tornade-org/outside, which this tornade refuses`);
  });
});
