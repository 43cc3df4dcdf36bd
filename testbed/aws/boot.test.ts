/**
 * The boot clock seen through the real AWS SDK: a task's PROVISIONING → PENDING → RUNNING and a build's QUEUED →
 * PROVISIONING → … BUILD take exactly what the configured model draws, replayed here with the same seed from the pure
 * model (boot-model.ts) — so the simulator follows the model, not its own idea of it.
 */
import { BatchGetBuildsCommand, StartBuildCommand, type Build } from "@aws-sdk/client-codebuild";
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BootModel, resolveBootModel, type BootModelInput } from "./index.js";
import { controllableRuntime, eventually, startBed, type Bed } from "./test-helpers.js";

const SMALL = "registry.example/runner-small:1";
const LARGE = "registry.example/runner-large:1";
const CUSTOM_CODEBUILD = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tornade-runner:1";
const MODEL: BootModelInput = {
  profile: "published",
  seed: 2026,
  imageSizesMiB: { [SMALL]: 200, [LARGE]: 2048, [CUSTOM_CODEBUILD]: 1500 },
};

describe("boot clock through @aws-sdk/client-ecs and @aws-sdk/client-codebuild", () => {
  let bed: Bed;
  const rt = controllableRuntime();
  beforeAll(async () => {
    bed = await startBed({ speed: 600, runtime: rt.runtime, boot: MODEL });
  });
  afterAll(async () => {
    await bed.sim.close();
  });

  const at = (d: Date | undefined) => d?.getTime() ?? NaN;

  it("times each Fargate task's PENDING and RUNNING by its draw, per architecture and image size", async () => {
    const control = bed.sim.control;
    const small = control.registerTaskDefinition({ family: "boot-small-x86", cpuArchitecture: "X86_64", image: SMALL });
    const large = control.registerTaskDefinition({ family: "boot-large-arm", cpuArchitecture: "ARM64", image: LARGE });
    control.setBootModel(MODEL); // restart the draws, so the replay below lines up
    const replay = new BootModel(resolveBootModel(MODEL));
    const expected = [
      replay.plan({ backend: "FARGATE", arch: "X86_64", image: SMALL }),
      replay.plan({ backend: "FARGATE", arch: "ARM64", image: LARGE }),
      replay.plan({ backend: "FARGATE", arch: "X86_64", image: SMALL }),
    ];
    const arns: string[] = [];
    for (const td of [small, large, small]) {
      const out = await bed.ecs().send(
        new RunTaskCommand({
          cluster: bed.sim.cluster,
          taskDefinition: td.ref,
          capacityProviderStrategy: [{ capacityProvider: td === large ? "FARGATE_SPOT" : "FARGATE", weight: 1 }],
          networkConfiguration: { awsvpcConfiguration: { subnets: bed.sim.subnets, securityGroups: bed.sim.securityGroups } },
        }),
      );
      arns.push(out.tasks?.[0]?.taskArn ?? "");
    }
    const running = await eventually(async () => {
      const out = await bed.ecs().send(new DescribeTasksCommand({ cluster: bed.sim.cluster, tasks: arns }));
      const tasks = arns.map((arn) => out.tasks?.find((t) => t.taskArn === arn));
      return tasks.every((t) => t?.lastStatus === "RUNNING") ? (tasks as Task[]) : undefined;
    }, 2000);
    running.forEach((t, i) => {
      const plan = expected[i]!;
      expect(at(t.pullStartedAt) - at(t.createdAt)).toBe(plan.provisioningMs);
      expect(at(t.pullStoppedAt) - at(t.pullStartedAt)).toBe(plan.pullMs);
      expect(at(t.startedAt) - at(t.createdAt)).toBe(plan.provisioningMs + plan.pullMs);
      // The runner's own start-up goes to the container, apart from the platform's phases.
      expect(rt.containers.get(t.taskArn ?? "")?.startupMs).toBe(plan.runnerStartMs);
    });
    // The 2 GiB image pulls for longer than the 200 MiB one: (2048 − 200) × 50 ms ≈ 92 s more at the median.
    const pulled = running.map((t) => at(t.pullStoppedAt) - at(t.pullStartedAt));
    expect(pulled[1]).toBeGreaterThan(Math.max(pulled[0]!, pulled[2]!));
    expect(control.listTasks().find((t) => t.taskArn === arns[1])?.boot).toEqual(expected[1]);
    for (const task of arns) await bed.ecs().send(new StopTaskCommand({ cluster: bed.sim.cluster, task }));
  });

  it("times a build's QUEUED and PROVISIONING by its draw: a custom image is pulled, CodeBuild's own is cached", async () => {
    bed.sim.control.setBootModel(MODEL);
    const replay = new BootModel(resolveBootModel(MODEL));
    const expected = [
      replay.plan({ backend: "CODEBUILD", arch: "ARM64", image: CUSTOM_CODEBUILD }),
      replay.plan({ backend: "CODEBUILD", arch: "X86_64", image: "aws/codebuild/standard:7.0" }),
    ];
    const ids: string[] = [];
    for (const over of [
      { environmentTypeOverride: "ARM_CONTAINER" as const, imageOverride: CUSTOM_CODEBUILD, computeTypeOverride: "BUILD_GENERAL1_SMALL" as const },
      {},
    ]) {
      const out = await bed.codebuild().send(new StartBuildCommand({ projectName: bed.sim.codebuildProject, ...over }));
      ids.push(out.build?.id ?? "");
    }
    const building = await eventually(async () => {
      const out = await bed.codebuild().send(new BatchGetBuildsCommand({ ids }));
      const builds = ids.map((id) => out.builds?.find((b) => b.id === id));
      return builds.every((b) => b?.currentPhase === "BUILD") ? (builds as Build[]) : undefined;
    }, 2000);
    building.forEach((b, i) => {
      const plan = expected[i]!;
      const phase = (type: string) => b.phases?.find((p) => p.phaseType === type);
      expect(at(phase("QUEUED")?.endTime) - at(phase("QUEUED")?.startTime)).toBe(plan.queuedMs);
      expect(at(phase("PROVISIONING")?.endTime) - at(phase("PROVISIONING")?.startTime)).toBe(plan.provisioningMs + plan.pullMs);
      expect(rt.containers.get(b.id ?? "")?.startupMs).toBe(plan.runnerStartMs);
    });
    expect(expected[0]).toMatchObject({ cached: false, imageSizeMiB: 1500 });
    expect(expected[0]!.pullMs).toBeGreaterThan(60_000);
    expect(expected[1]).toMatchObject({ cached: true, pullMs: 0 });
    for (const id of ids) rt.containers.get(id)?.exit(0);
  });

  it("is read and replaced over HTTP at /_control/boot-model; a bad model is refused with every problem named", async () => {
    const url = `${bed.sim.endpoint}/_control/boot-model`;
    const put = (body: unknown) => fetch(url, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const refused = await put({ profile: "instant", codebuild: { queued: { p50Ms: 5_000, p95Ms: 1_000 } } });
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: string };
    expect(error).toContain("profile");
    expect(error).toContain("codebuild.queued");
    const ok = await put({ profile: "fixed", fargate: { ARM64: { provisioning: { p50Ms: 45_000, p95Ms: 45_000 } } } });
    expect(ok.status).toBe(200);
    const got = (await (await fetch(url)).json()) as { profile: string; fargate: { ARM64: { provisioning: unknown }; X86_64: { provisioning: unknown } } };
    expect(got.profile).toBe("fixed");
    expect(got.fargate.ARM64.provisioning).toEqual({ p50Ms: 45_000, p95Ms: 45_000 });
    expect(got.fargate.X86_64.provisioning).toEqual({ p50Ms: 15_000, p95Ms: 15_000 });
    // Launches from now on follow it.
    const out = await bed.ecs().send(
      new RunTaskCommand({
        cluster: bed.sim.cluster,
        taskDefinition: bed.sim.taskDefinitions.ARM64,
        launchType: "FARGATE",
        networkConfiguration: { awsvpcConfiguration: { subnets: bed.sim.subnets, securityGroups: bed.sim.securityGroups } },
      }),
    );
    const arn = out.tasks?.[0]?.taskArn ?? "";
    const task = await eventually(async () => {
      const t = (await bed.ecs().send(new DescribeTasksCommand({ cluster: bed.sim.cluster, tasks: [arn] }))).tasks?.[0];
      return t?.lastStatus === "RUNNING" ? t : undefined;
    }, 2000);
    expect(at(task.startedAt) - at(task.createdAt)).toBe(45_000 + 15_000);
    await bed.ecs().send(new StopTaskCommand({ cluster: bed.sim.cluster, task: arn }));
  });
});
