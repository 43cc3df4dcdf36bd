import {
  ClientException,
  ClusterNotFoundException,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  InvalidParameterException,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type RunTaskCommandInput,
} from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAPACITY_REASON, SPOT_REASON } from "./index.js";
import { controllableRuntime, eventually, startBed, type Bed } from "./test-helpers.js";

describe("ECS simulator through @aws-sdk/client-ecs", () => {
  let bed: Bed;
  const rt = controllableRuntime();
  beforeAll(async () => {
    bed = await startBed({ speed: 600, runtime: rt.runtime });
  });
  afterAll(async () => {
    await bed.sim.close();
  });

  const input = (over: Partial<RunTaskCommandInput> = {}): RunTaskCommandInput => ({
    cluster: bed.sim.cluster,
    taskDefinition: bed.sim.taskDefinitions.X86_64,
    capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
    networkConfiguration: { awsvpcConfiguration: { subnets: bed.sim.subnets, securityGroups: bed.sim.securityGroups, assignPublicIp: "DISABLED" } },
    overrides: { containerOverrides: [{ name: "runner", environment: [{ name: "JIT", value: "abc" }] }] },
    startedBy: "tornade",
    tags: [{ key: "tornade:job", value: "42" }],
    ...over,
  });
  const describeOne = async (arn: string) => {
    const out = await bed.ecs().send(new DescribeTasksCommand({ cluster: bed.sim.cluster, tasks: [arn], include: ["TAGS"] }));
    const t = out.tasks?.[0];
    if (!t) throw new Error(`task ${arn} not described`);
    return t;
  };

  it("keeps the tasks slowProvisioning names PROVISIONING longer, so runners come up out of launch order", async () => {
    bed.sim.control.slowProvisioning({ times: 1, extraMs: 3600_000 });
    const slow = (await bed.ecs().send(new RunTaskCommand(input()))).tasks?.[0]?.taskArn ?? "";
    const normal = (await bed.ecs().send(new RunTaskCommand(input()))).tasks?.[0]?.taskArn ?? "";
    await eventually(async () => ((await describeOne(normal)).lastStatus === "RUNNING" ? true : undefined));
    expect((await describeOne(slow)).lastStatus).toBe("PROVISIONING");
    for (const task of [slow, normal]) await bed.ecs().send(new StopTaskCommand({ cluster: bed.sim.cluster, task }));
  });

  it("runs a task through PROVISIONING → PENDING → RUNNING → STOPPED with the program's exit code", async () => {
    const out = await bed.ecs().send(new RunTaskCommand(input()));
    const task = out.tasks?.[0];
    expect(out.failures).toEqual([]);
    expect(task?.lastStatus).toBe("PROVISIONING");
    expect(task?.desiredStatus).toBe("RUNNING");
    expect(task?.capacityProviderName).toBe("FARGATE");
    expect(task?.launchType).toBe("FARGATE");
    expect(task?.createdAt).toBeInstanceOf(Date);
    const arn = task?.taskArn ?? "";
    const running = await eventually(async () => ((await describeOne(arn)).lastStatus === "RUNNING" ? describeOne(arn) : undefined));
    expect(running.startedAt).toBeInstanceOf(Date);
    expect(running.attributes).toContainEqual({ name: "ecs.cpu-architecture", value: "x86_64" });
    expect(running.tags).toEqual([{ key: "tornade:job", value: "42" }]);
    const container = rt.containers.get(arn);
    expect(container?.env.JIT).toBe("abc");
    expect(container?.capacity).toBe("FARGATE");
    container?.exit(3);
    const stopped = await eventually(async () => ((await describeOne(arn)).lastStatus === "STOPPED" ? describeOne(arn) : undefined));
    expect(stopped.stopCode).toBe("EssentialContainerExited");
    expect(stopped.containers?.[0]?.exitCode).toBe(3);
    expect(stopped.stoppedAt!.getTime()).toBeGreaterThanOrEqual(stopped.startedAt!.getTime());
  });

  it("reports the ARM64 architecture from the task definition and honours cpu/memory/disk overrides", async () => {
    const out = await bed.ecs().send(
      new RunTaskCommand(input({ taskDefinition: bed.sim.taskDefinitions.ARM64, overrides: { cpu: "2048", memory: "8192", ephemeralStorage: { sizeInGiB: 50 } } })),
    );
    const t = out.tasks?.[0];
    expect(t?.attributes).toContainEqual({ name: "ecs.cpu-architecture", value: "arm64" });
    expect([t?.cpu, t?.memory, t?.ephemeralStorage?.sizeInGiB]).toEqual(["2048", "8192", 50]);
    const td = await bed.ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: bed.sim.taskDefinitions.ARM64 }));
    expect(td.taskDefinition?.runtimePlatform?.cpuArchitecture).toBe("ARM64");
  });

  it("refuses invalid Fargate requests with the typed exceptions ECS uses", async () => {
    const ecs = bed.ecs();
    await expect(ecs.send(new RunTaskCommand(input({ launchType: "FARGATE" })))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(ecs.send(new RunTaskCommand(input({ networkConfiguration: undefined })))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(ecs.send(new RunTaskCommand(input({ taskDefinition: "nope:1" })))).rejects.toThrow(ClientException);
    await expect(ecs.send(new RunTaskCommand(input({ taskDefinition: "nope:1" })))).rejects.toThrow("Unable to describe task definition.");
    await expect(ecs.send(new RunTaskCommand(input({ cluster: "elsewhere" })))).rejects.toBeInstanceOf(ClusterNotFoundException);
    await expect(ecs.send(new RunTaskCommand(input({ overrides: { cpu: "256", memory: "8192" } })))).rejects.toThrow("No Fargate configuration exists");
    await expect(ecs.send(new RunTaskCommand(input({ overrides: { ephemeralStorage: { sizeInGiB: 201 } } })))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(ecs.send(new RunTaskCommand(input({ count: 11 })))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(ecs.send(new RunTaskCommand(input({ clientToken: "x".repeat(65) })))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "missing" }))).rejects.toBeInstanceOf(ClientException);
  });

  it("refuses container overrides over 8,192 characters, JSON included, as RunTask does", async () => {
    const sized = (chars: number) => input({ overrides: { containerOverrides: [{ name: "runner", environment: [{ name: "BIG", value: "x".repeat(chars) }] }] } });
    // [{"name":"runner","environment":[{"name":"BIG","value":"…"}]}] is 61 characters around the value.
    await expect(bed.ecs().send(new RunTaskCommand(sized(8192 - 61)))).resolves.toMatchObject({ failures: [] });
    await expect(bed.ecs().send(new RunTaskCommand(sized(8192 - 60)))).rejects.toThrow("Container Overrides length must be at most 8192");
  });

  it("answers a repeated clientToken with the same task and refuses it with other parameters", async () => {
    const before = bed.sim.control.listTasks().length;
    const a = await bed.ecs().send(new RunTaskCommand(input({ clientToken: "job-7-attempt-1" })));
    const b = await bed.ecs().send(new RunTaskCommand(input({ clientToken: "job-7-attempt-1" })));
    expect(b.tasks?.[0]?.taskArn).toBe(a.tasks?.[0]?.taskArn);
    expect(bed.sim.control.listTasks().length).toBe(before + 1);
    await expect(bed.ecs().send(new RunTaskCommand(input({ clientToken: "job-7-attempt-1", startedBy: "other" })))).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it("reports a capacity shortage in failures[] with AWS's reason and launches nothing", async () => {
    bed.sim.control.capacityShortage({ capacityProvider: "FARGATE_SPOT", times: 1 });
    const before = bed.sim.control.listTasks().length;
    const spot = input({ capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }] });
    const out = await bed.ecs().send(new RunTaskCommand(spot));
    expect(out.tasks).toEqual([]);
    expect(out.failures?.[0]?.reason).toBe(CAPACITY_REASON);
    expect(bed.sim.control.listTasks().length).toBe(before);
    const again = await bed.ecs().send(new RunTaskCommand(spot));
    expect(again.tasks).toHaveLength(1);
  });

  it("interrupts a Spot task: SIGTERM first, SIGKILL and STOPPED two clock minutes later, SpotInterruption", async () => {
    const out = await bed.ecs().send(new RunTaskCommand(input({ capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }] })));
    const arn = out.tasks?.[0]?.taskArn ?? "";
    await eventually(async () => ((await describeOne(arn)).lastStatus === "RUNNING" ? true : undefined));
    expect(bed.sim.control.interruptSpot(arn)).toEqual([arn]);
    const c = rt.containers.get(arn);
    expect(c?.signals).toEqual(["SIGTERM"]);
    const stopping = await describeOne(arn);
    expect(stopping.desiredStatus).toBe("STOPPED");
    expect(stopping.lastStatus).toBe("RUNNING"); // the container has its two minutes
    const stopped = await eventually(async () => ((await describeOne(arn)).lastStatus === "STOPPED" ? describeOne(arn) : undefined));
    expect(c?.signals).toEqual(["SIGTERM", "SIGKILL"]);
    expect(stopped.stopCode).toBe("SpotInterruption");
    expect(stopped.stoppedReason).toBe(SPOT_REASON);
    expect(stopped.capacityProviderName).toBe("FARGATE_SPOT");
    // SIGKILL came no earlier than two clock minutes after the notice.
    expect(stopped.executionStoppedAt!.getTime() - stopped.stoppingAt!.getTime()).toBeGreaterThanOrEqual(120_000);
  });

  it("kills a running task's container at once (killContainer): the task stops with exit code 137", async () => {
    const out = await bed.ecs().send(new RunTaskCommand(input({ startedBy: "crasher" })));
    const arn = out.tasks?.[0]?.taskArn ?? "";
    expect(bed.sim.control.killContainer(arn)).toBe(false); // nothing runs yet
    await eventually(async () => ((await describeOne(arn)).lastStatus === "RUNNING" ? true : undefined));
    expect(bed.sim.control.killContainer(arn)).toBe(true);
    expect(rt.containers.get(arn)?.signals).toEqual(["SIGKILL"]);
    const stopped = await eventually(async () => ((await describeOne(arn)).lastStatus === "STOPPED" ? describeOne(arn) : undefined));
    expect(stopped.containers?.[0]?.exitCode).toBe(137);
  });

  it("stops a task on StopTask with UserInitiated, and lists running and stopped tasks", async () => {
    const out = await bed.ecs().send(new RunTaskCommand(input({ startedBy: "stopper" })));
    const arn = out.tasks?.[0]?.taskArn ?? "";
    const listed = await bed.ecs().send(new ListTasksCommand({ cluster: bed.sim.cluster, startedBy: "stopper" }));
    expect(listed.taskArns).toEqual([arn]);
    const stop = await bed.ecs().send(new StopTaskCommand({ cluster: bed.sim.cluster, task: arn, reason: "job cancelled" }));
    expect(stop.task?.desiredStatus).toBe("STOPPED");
    const stopped = await eventually(async () => ((await describeOne(arn)).lastStatus === "STOPPED" ? describeOne(arn) : undefined));
    expect([stopped.stopCode, stopped.stoppedReason]).toEqual(["UserInitiated", "job cancelled"]);
    const listedStopped = await bed.ecs().send(new ListTasksCommand({ cluster: bed.sim.cluster, startedBy: "stopper", desiredStatus: "STOPPED" }));
    expect(listedStopped.taskArns).toEqual([arn]);
    const missing = await bed.ecs().send(new DescribeTasksCommand({ cluster: bed.sim.cluster, tasks: ["0123456789abcdef0123456789abcdef"] }));
    expect(missing.failures?.[0]?.reason).toBe("MISSING");
  });

  it("counts calls per operation and every request it saw passed the input model", () => {
    expect(bed.sim.control.stats().calls["ecs.RunTask"]).toBeGreaterThan(5);
    expect(bed.requests.filter((r) => r.errors.length)).toEqual([]);
  });

  it("gave only answers that match AWS's output model", () => {
    expect(bed.responses.length).toBeGreaterThan(10);
    expect(bed.outputProblems()).toEqual([]);
  });
});
