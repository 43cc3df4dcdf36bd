import { DescribeTasksCommand, ECSClient } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { startAwsSim, type AwsSim } from "../../testbed/aws/index.js";
import { simHandoff } from "../../test/support/sim-handoff.js";
import { EcsProvider, type EcsProviderOptions } from "./ecs.js";
import { ControlledRuntime, describeUntil, launchRequest, providerContract, trafficRecorder, type ContractBed } from "./provider.contract.js";
import { LaunchError } from "./provider.js";

// Speed 50: the simulated 15 s of PROVISIONING last ~0.3 s real, long enough to be seen as "pending" by a describe.
const SPEED = 50;

function ecsClient(sim: AwsSim): ECSClient {
  return new ECSClient({
    endpoint: sim.endpoint,
    region: sim.region,
    credentials: { accessKeyId: "AKIDTESTBED", secretAccessKey: "testbed-secret" },
    // The provider reports throttling and 5xx to the controller, which owns backoff; no SDK retries in tests.
    maxAttempts: 1,
  });
}

const clock = scaledClock(SPEED);

function options(sim: AwsSim, over: Partial<EcsProviderOptions> = {}): EcsProviderOptions {
  return {
    client: ecsClient(sim),
    cluster: sim.cluster,
    taskDefinitions: sim.taskDefinitions,
    subnets: sim.subnets,
    securityGroups: sim.securityGroups,
    handoff: simHandoff(sim, clock),
    ...over,
  };
}

async function makeBed(backend: "FARGATE" | "FARGATE_SPOT"): Promise<ContractBed & { sim: AwsSim }> {
  const runtime = new ControlledRuntime();
  const traffic = trafficRecorder("ecs");
  const sim = await startAwsSim({ clock, runtime, onRequest: traffic.onRequest, onResponse: traffic.onResponse });
  return {
    sim,
    backend,
    runtime,
    provider: new EcsProvider(options(sim)),
    misconfigured: new EcsProvider(
      options(sim, { taskDefinitions: { X86_64: "tornade-runner-missing:1", ARM64: "tornade-runner-missing:1" } }),
    ),
    launchCount: () => sim.control.listTasks().length,
    throttleNextLaunch: () =>
      sim.control.failNext({ service: "ecs", operation: "RunTask", error: "ThrottlingException", message: "Rate exceeded" }),
    capacityShortage: {
      start: () => sim.control.capacityShortage({ capacityProvider: backend }),
      clear: () => sim.control.clearCapacityShortage(backend),
    },
    parameters: () => sim.control.listParameters().map((p) => p.name),
    handoff: simHandoff(sim, clock),
    traffic: traffic.text,
    close: () => sim.close(),
  };
}

providerContract("ECS FARGATE", () => makeBed("FARGATE"));
providerContract("ECS FARGATE_SPOT", () => makeBed("FARGATE_SPOT"));

describe("EcsProvider specifics", () => {
  let bed: Awaited<ReturnType<typeof makeBed>>;
  beforeAll(async () => {
    bed = await makeBed("FARGATE_SPOT");
  });
  afterAll(() => bed.close());

  it("does not look for a runner whose name is longer than ECS's 36-character startedBy", async () => {
    const req = { ...launchRequest("FARGATE_SPOT", "X86_64"), runnerName: "tornade-pool-fargate_spot-x86_64-1795993612232" };
    const handle = await bed.provider.launch(req);
    expect(bed.sim.control.listTasks().find((t) => t.taskArn === handle.id)?.startedBy).toBe("tornade");
    expect(await bed.provider.findLaunch({ backend: "FARGATE_SPOT", arch: "X86_64", runnerName: req.runnerName, requestedAt: 0 })).toBeUndefined();
  });

  it("sends the task size, disk, capacity provider, network, tags and runner identity", async () => {
    const req = launchRequest("FARGATE_SPOT", "ARM64", { cpu: 2, memory: 4096, disk: 50 });
    const handle = await bed.provider.launch(req);
    const task = bed.sim.control.listTasks().find((t) => t.taskArn === handle.id);
    expect(task?.capacity).toBe("FARGATE_SPOT");
    expect(task?.arch).toBe("ARM64");
    expect(task?.startedBy).toBe(req.runnerName);
    expect(task?.env).toMatchObject({
      TORNADE_RUNNER_NAME: req.runnerName,
      TORNADE_JOB_ID: String(req.jobId),
      TORNADE_RUN_ID: String(req.runId),
      TORNADE_REPOSITORY: req.repository,
    });
    // What ECS itself reports for the task, through the SDK.
    const described = await ecsClient(bed.sim).send(
      new DescribeTasksCommand({ cluster: bed.sim.cluster, tasks: [handle.id], include: ["TAGS"] }),
    );
    const t = described.tasks?.[0];
    expect(t?.cpu).toBe("2048");
    expect(t?.memory).toBe("4096");
    expect(t?.ephemeralStorage?.sizeInGiB).toBe(50);
    expect(t?.capacityProviderName).toBe("FARGATE_SPOT");
    expect(t?.overrides?.containerOverrides?.[0]?.name).toBe("runner");
    expect(Object.fromEntries((t?.tags ?? []).map((x) => [x.key, x.value]))).toEqual({
      jobId: String(req.jobId),
      runId: String(req.runId),
      repository: req.repository,
      runnerName: req.runnerName,
    });
    await describeUntil(bed.provider, { handle }, (s) => s.status === "running");
    bed.runtime.finish(handle.id, 0);
  });

  it("recognises a Spot interruption from the stop code", async () => {
    const handle = await bed.provider.launch(launchRequest("FARGATE_SPOT", "X86_64"));
    await describeUntil(bed.provider, { handle }, (s) => s.status === "running");
    expect(bed.sim.control.interruptSpot(handle.id)).toContain(handle.id);
    const end = await describeUntil(bed.provider, { handle }, (s) => s.status === "stopped");
    expect(end.spotInterrupted).toBe(true);
    expect(end.succeeded).toBe(false);
    expect(end.reason).toBe("Your Spot Task was interrupted.");
  });

  it("maps AccessDeniedException to permanent and ServerException to transient", async () => {
    bed.sim.control.failNext({ service: "ecs", operation: "RunTask", error: "AccessDeniedException" });
    const denied = await bed.provider.launch(launchRequest("FARGATE", "X86_64")).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(LaunchError);
    expect((denied as LaunchError).kind).toBe("permanent");
    bed.sim.control.failNext({ service: "ecs", operation: "RunTask", error: "ServerException" });
    const server = await bed.provider.launch(launchRequest("FARGATE", "X86_64")).catch((e: unknown) => e);
    expect((server as LaunchError).kind).toBe("transient");
  });

  it("reports a network failure as transient", async () => {
    const dead = new EcsProvider({
      ...options(bed.sim),
      client: new ECSClient({
        endpoint: "http://127.0.0.1:9",
        region: bed.sim.region,
        credentials: { accessKeyId: "AKIDTESTBED", secretAccessKey: "testbed-secret" },
        maxAttempts: 1,
      }),
    });
    const err = await dead.launch(launchRequest("FARGATE", "X86_64")).catch((e: unknown) => e);
    expect((err as LaunchError).kind).toBe("transient");
  });

  it("refuses an image without a task definition for the arch, before calling AWS", async () => {
    const before = bed.sim.control.stats().calls["ecs.RunTask"] ?? 0;
    const err = await bed.provider.launch(launchRequest("FARGATE", "X86_64", { image: "gpu" })).catch((e: unknown) => e);
    expect((err as LaunchError).kind).toBe("permanent");
    expect((err as LaunchError).message).toMatch(/image "gpu"/);
    expect(bed.sim.control.stats().calls["ecs.RunTask"] ?? 0).toBe(before);
  });

  it("reports a task ECS no longer knows as stopped", async () => {
    const [state] = await bed.provider.describe([
      { backend: "FARGATE", id: "arn:aws:ecs:us-east-1:123456789012:task/tornade/0123456789abcdef0123456789abcdef" },
    ]);
    expect(state?.status).toBe("stopped");
  });
});
