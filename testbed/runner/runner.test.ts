import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { Octokit } from "@octokit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { DEFAULT_JIT_KMS_KEY, JIT_CONFIG_ENV, JIT_PARAMETER_ENV, STANDBY_UNTIL_ENV } from "../../src/core/runner-env.js";
import { simSsmClient } from "../../test/support/sim-handoff.js";
import { startAwsSim, type AwsSim } from "../aws/index.js";
import { startCheckedSim, startReceiver, until, type CheckedSim, type Receiver } from "../github/test-support.js";
import type { ContainerSpec } from "../runtime.js";
import { EXIT_NO_CONFIG, runSimulatedRunner, simulatedRunnerRuntime } from "./index.js";

// 600×: a 10-minute job runs in one real second; a silent runner is declared lost after 600 clock seconds (1 s real).
const clock = scaledClock(600);
let s: CheckedSim;
let rx: Receiver;
let gh: Octokit;
let aws: AwsSim;
const logs: string[] = [];
const runtime = simulatedRunnerRuntime({ clock, bootDelayMs: 5_000, log: (l) => logs.push(l) });

beforeAll(async () => {
  // A generous lost-runner window: at 600× a loaded machine can stall the event loop past 150 clock seconds.
  s = await startCheckedSim({ clock, runnerLostAfterMs: 600_000 });
  rx = await startReceiver(s.sim.webhookSecret);
  s.sim.control.setWebhookUrl(rx.url);
  gh = new Octokit({ baseUrl: s.sim.url, auth: s.sim.control.personalToken });
  aws = await startAwsSim({ clock });
});
afterAll(async () => {
  expect(s.violations).toEqual([]);
  await s.sim.close();
  await rx.close();
  await aws.close();
});

/** What the test bed's AWS gives every container: the runner role's keys, its region and endpoint. */
function runnerAws(): Record<string, string> {
  return {
    AWS_REGION: aws.region,
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_ACCESS_KEY_ID: aws.runnerCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.runnerCredentials.secretAccessKey,
  };
}

/** As tornade writes it: a one-time SecureString under the prefix, encrypted with the runner key. */
async function putJitParameter(name: string, value: string): Promise<void> {
  await simSsmClient(aws).send(new PutParameterCommand({ Name: name, Value: value, Type: "SecureString", KeyId: DEFAULT_JIT_KMS_KEY, Tier: "Advanced" }));
}

async function jitConfig(name: string, labels: string[]): Promise<string> {
  const r = await gh.request("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig", {
    owner: s.sim.owner,
    repo: s.sim.repo,
    name,
    runner_group_id: 1,
    labels,
  });
  return r.data.encoded_jit_config;
}

function container(env: Record<string, string>): { spec: ContainerSpec; exit: Promise<number>; handle: ReturnType<typeof runtime.start> } {
  const spec: ContainerSpec = { kind: "ecs", id: `arn:aws:ecs:us-east-1:123456789012:task/c/${Math.random().toString(16).slice(2)}`, arch: "X86_64", capacity: "FARGATE", env };
  let resolve: (n: number) => void = () => {};
  const exit = new Promise<number>((r) => (resolve = r));
  const handle = runtime.start(spec, resolve);
  return { spec, exit, handle };
}

const job = (id: number | bigint | undefined) => s.sim.control.getJob(Number(id));

describe("simulated runner as a container runtime", () => {
  it("runs a 10-minute job from its JIT config, reports the planned conclusion and exits 0", async () => {
    const labels = ["self-hosted", "tornade", "full-run"];
    const run = s.sim.control.createRun({ jobs: [{ name: "ten-minutes", labels, durationSeconds: 600, conclusion: "failure" }] });
    const c = container({ [JIT_CONFIG_ENV]: await jitConfig("full-run-1", labels), OTHER: "x" });
    expect(await c.exit).toBe(0);
    const j = job(run.jobs[0]?.id);
    expect(j).toMatchObject({ status: "completed", conclusion: "failure", runner_name: "full-run-1" });
    // The job ran for its duration in clock time (not wall time).
    expect(Date.parse(j?.completed_at ?? "") - Date.parse(j?.started_at ?? "")).toBeGreaterThanOrEqual(600_000);
  });

  it("reads its JIT config from the one-time SSM parameter, deletes it, and runs its job", async () => {
    const labels = ["self-hosted", "tornade", "from-ssm"];
    const run = s.sim.control.createRun({ jobs: [{ name: "via-parameter", labels, durationSeconds: 60 }] });
    const name = `${aws.jitParameterPrefix}from-ssm-1.0123456789abcdef0123456789abcdef`;
    const config = await jitConfig("from-ssm-1", labels);
    await putJitParameter(name, config);
    const c = container({ [JIT_PARAMETER_ENV]: name, ...runnerAws() });
    expect(await c.exit).toBe(0);
    expect(job(run.jobs[0]?.id)).toMatchObject({ status: "completed", conclusion: "success", runner_name: "from-ssm-1" });
    expect(aws.control.listParameters().map((p) => p.name)).not.toContain(name);
    expect(aws.control.stats().calls).toMatchObject({ "ssm.GetParameter": 1, "ssm.DeleteParameter": 1 });
    expect(logs.some((l) => l.includes(config.slice(0, 16)))).toBe(false);
  });

  it("exits 78 (EX_CONFIG) without a config or with an unreadable parameter, 1 with a broken config, and never logs one", async () => {
    expect(await container({}).exit).toBe(EXIT_NO_CONFIG);
    expect(await container({ [JIT_PARAMETER_ENV]: `${aws.jitParameterPrefix}never-written`, ...runnerAws() }).exit).toBe(EXIT_NO_CONFIG);
    const secretish = Buffer.from("not json at all").toString("base64");
    expect(await container({ [JIT_CONFIG_ENV]: secretish }).exit).toBe(1);
    expect(logs.some((l) => /no JIT config/.test(l))).toBe(true);
    expect(logs.some((l) => /ParameterNotFound/.test(l))).toBe(true);
    expect(logs.some((l) => /invalid JIT config/.test(l))).toBe(true);
    expect(logs.some((l) => l.includes(secretish))).toBe(false);
  });

  it("on SIGTERM during the job reports it failed and exits 143", async () => {
    const labels = ["self-hosted", "sigterm"];
    const run = s.sim.control.createRun({ jobs: [{ name: "interrupted", labels, durationSeconds: 3600 }] });
    const c = container({ [JIT_CONFIG_ENV]: await jitConfig("sigterm-1", labels) });
    await until(() => job(run.jobs[0]?.id)?.status === "in_progress", "the job to start");
    c.handle.signal("SIGTERM");
    expect(await c.exit).toBe(143);
    expect(job(run.jobs[0]?.id)).toMatchObject({ status: "completed", conclusion: "failure" });
  });

  it("on SIGKILL exits 137 at once; the sim notices the runner is gone and fails the job", async () => {
    const labels = ["self-hosted", "sigkill"];
    const run = s.sim.control.createRun({ jobs: [{ name: "killed", labels, durationSeconds: 3600 }] });
    const c = container({ [JIT_CONFIG_ENV]: await jitConfig("sigkill-1", labels) });
    await until(() => job(run.jobs[0]?.id)?.status === "in_progress", "the job to start");
    c.handle.signal("SIGKILL");
    expect(await c.exit).toBe(137);
    await until(() => job(run.jobs[0]?.id)?.status === "completed", "the sim to notice the lost runner");
    expect(job(run.jobs[0]?.id)?.conclusion).toBe("failure");
    expect(s.sim.control.listRunners().find((r) => r.name === "sigkill-1")?.status).toBe("offline");
  });

  it("exits 0 when its job is cancelled", async () => {
    const labels = ["self-hosted", "cancel"];
    const run = s.sim.control.createRun({ jobs: [{ name: "cancelled", labels, durationSeconds: 3600 }] });
    const c = container({ [JIT_CONFIG_ENV]: await jitConfig("cancel-1", labels) });
    await until(() => job(run.jobs[0]?.id)?.status === "in_progress", "the job to start");
    s.sim.control.cancelRun(run.id);
    expect(await c.exit).toBe(0);
    expect(job(run.jobs[0]?.id)?.conclusion).toBe("cancelled");
  });
});

describe("runSimulatedRunner", () => {
  it("lets a non-ephemeral (static) runner take several jobs until stopped", async () => {
    const labels = ["self-hosted", "type=static"];
    const { encodedJitConfig } = s.sim.control.createStaticRunner({ name: "static-1", labels });
    const stop = new AbortController();
    const done = runSimulatedRunner(encodedJitConfig, { clock, signal: stop.signal });
    const run = s.sim.control.createRun({ jobs: ["a", "b", "c"].map((name) => ({ name, labels, durationSeconds: 30 })) });
    await until(() => run.jobs.every((j) => job(j.id)?.status === "completed"), "three jobs on one runner");
    expect(new Set(run.jobs.map((j) => job(j.id)?.runner_name))).toEqual(new Set(["static-1"]));
    stop.abort();
    expect((await done).exitCode).toBe(143);
    expect(s.sim.control.listRunners().find((r) => r.name === "static-1")?.status).toBe("offline");
  });
  it("counts a JIT config presented twice: while its first runner is online (409) and after it is gone (401)", async () => {
    const labels = ["self-hosted", "tornade", "used-twice"];
    const config = await jitConfig("used-twice-1", labels);
    const before = s.sim.control.jitConfigReuses().length;
    const stop = new AbortController();
    const first = runSimulatedRunner(config, { clock, signal: stop.signal });
    await until(() => s.sim.control.listRunners().some((r) => r.name === "used-twice-1" && r.status === "online"), "the first runner online");
    expect(s.sim.control.jitConfigReuses().length).toBe(before);
    // A second process with the same config: refused (a session exists), and counted.
    expect((await runSimulatedRunner(config, { clock })).exitCode).toBe(1);
    expect(s.sim.control.jitConfigReuses().find((u) => u.runner === "used-twice-1")).toEqual({ runner: "used-twice-1", uses: 2 });
    // The first takes its job and is gone; a third use is still seen, though GitHub no longer knows the runner.
    const run = s.sim.control.createRun({ jobs: [{ name: "once", labels, durationSeconds: 10 }] });
    expect((await first).exitCode).toBe(0);
    expect(job(run.jobs[0]?.id)).toMatchObject({ status: "completed", runner_name: "used-twice-1" });
    expect((await runSimulatedRunner(config, { clock })).exitCode).toBe(1);
    expect(s.sim.control.jitConfigReuses().find((u) => u.runner === "used-twice-1")?.uses).toBe(3);
  });
  it("waits the start-up its container was given (the boot model's draw) before it reads its JIT config", async () => {
    // No bootDelayMs of its own: the start-up comes with each container, as the AWS simulator hands it over.
    const bare = simulatedRunnerRuntime({ clock, log: () => {} });
    const start = (name: string, startupMs: number) => {
      const spec: ContainerSpec = { kind: "ecs", id: `startup-${name}`, arch: "ARM64", capacity: "FARGATE", env: { [JIT_PARAMETER_ENV]: name, ...runnerAws() }, startupMs };
      let exited: (code: number) => void = () => {};
      const exit = new Promise<number>((r) => (exited = r));
      return { handle: bare.start(spec, exited), exit };
    };
    const slow = `${aws.jitParameterPrefix}startup-slow.0123456789abcdef0123456789abcdef`;
    const quick = `${aws.jitParameterPrefix}startup-quick.0123456789abcdef0123456789abcdef`;
    const broken = Buffer.from("not json at all").toString("base64");
    await putJitParameter(slow, broken);
    await putJitParameter(quick, broken);
    const day = start(slow, 86_400_000);
    const minute = start(quick, 60_000);
    // The minute's runner starts, reads its parameter, deletes it and exits 1 on the broken config …
    expect(await minute.exit).toBe(1);
    const left = aws.control.listParameters().map((p) => p.name);
    expect(left).not.toContain(quick);
    // … while the one given a day, launched alongside, is still starting: its parameter is untouched.
    expect(left).toContain(slow);
    day.handle.signal("SIGKILL");
    expect(await day.exit).toBe(137);
  });
});

describe("a standby (docs/standby.md)", () => {
  const parameterOf = (name: string) => `${aws.jitParameterPrefix}${name}.0123456789abcdef0123456789abcdef`;
  const polls = () => aws.control.stats().calls["ssm.GetParameter"] ?? 0;

  it("registers nowhere while it waits, then runs the job whose config is handed to it, and deletes the parameter", async () => {
    aws.control.resetStats();
    const parameter = parameterOf("tornade-standby-1");
    const c = container({ [JIT_PARAMETER_ENV]: parameter, [STANDBY_UNTIL_ENV]: String(clock.now() + 3_600_000), ...runnerAws() });
    await until(() => polls() >= 3, "the standby to poll for its parameter");
    expect(s.sim.control.listRunners().map((r) => r.name)).not.toContain("standby-job-1");

    const labels = ["self-hosted", "tornade", "standby-served"];
    const run = s.sim.control.createRun({ jobs: [{ name: "warm", labels, durationSeconds: 60 }] });
    const config = await jitConfig("standby-job-1", labels);
    await putJitParameter(parameter, config);
    expect(await c.exit).toBe(0);
    expect(job(run.jobs[0]?.id)).toMatchObject({ status: "completed", conclusion: "success", runner_name: "standby-job-1" });
    expect(aws.control.listParameters().map((p) => p.name)).not.toContain(parameter);
    expect(aws.control.stats().calls["ssm.DeleteParameter"]).toBe(1);
    expect(logs.some((l) => l.includes(config.slice(0, 16)))).toBe(false);
  });

  it("exits 0 when no job was handed to it by its deadline, and 143 on SIGTERM while it waits", async () => {
    const idle = container({ [JIT_PARAMETER_ENV]: parameterOf("tornade-standby-2"), [STANDBY_UNTIL_ENV]: String(clock.now() + 60_000), ...runnerAws() });
    expect(await idle.exit).toBe(0);
    expect(logs).toContain("standby: no job was handed to it by its deadline");

    aws.control.resetStats();
    const recycled = container({ [JIT_PARAMETER_ENV]: parameterOf("tornade-standby-3"), [STANDBY_UNTIL_ENV]: String(clock.now() + 3_600_000), ...runnerAws() });
    await until(() => polls() >= 1, "the standby to poll for its parameter");
    recycled.handle.signal("SIGTERM");
    expect(await recycled.exit).toBe(143);
  });

  it("refuses a deadline that is not a time, as a configuration error", async () => {
    expect(await container({ [JIT_PARAMETER_ENV]: parameterOf("tornade-standby-4"), [STANDBY_UNTIL_ENV]: "tomorrow", ...runnerAws() }).exit).toBe(EXIT_NO_CONFIG);
    expect(logs.some((l) => l.includes(`${STANDBY_UNTIL_ENV} must be a time in ms`))).toBe(true);
  });
});
