import {
  BatchGetBuildsCommand,
  InvalidInputException,
  ResourceNotFoundException,
  StartBuildCommand,
  StopBuildCommand,
  type Build,
} from "@aws-sdk/client-codebuild";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_JIT_KMS_KEY } from "../../src/core/runner-env.js";
import { controllableRuntime, eventually, startBed, type Bed } from "./test-helpers.js";

describe("CodeBuild simulator through @aws-sdk/client-codebuild", () => {
  let bed: Bed;
  const rt = controllableRuntime();
  beforeAll(async () => {
    bed = await startBed({ speed: 600, runtime: rt.runtime });
  });
  afterAll(async () => {
    await bed.sim.close();
  });

  const get = async (id: string): Promise<Build> => {
    const out = await bed.codebuild().send(new BatchGetBuildsCommand({ ids: [id] }));
    const b = out.builds?.[0];
    if (!b) throw new Error(`build ${id} not found`);
    return b;
  };
  const inPhase = (id: string, phase: string) => eventually(async () => ((await get(id)).currentPhase === phase ? get(id) : undefined));

  it("runs a build with overrides through its phases to SUCCEEDED", async () => {
    const out = await bed.codebuild().send(
      new StartBuildCommand({
        projectName: bed.sim.codebuildProject,
        environmentTypeOverride: "ARM_CONTAINER",
        computeTypeOverride: "BUILD_GENERAL1_LARGE",
        imageOverride: "aws/codebuild/amazonlinux-aarch64-standard:3.0",
        privilegedModeOverride: true,
        environmentVariablesOverride: [{ name: "JIT", value: "cfg", type: "PLAINTEXT" }],
      }),
    );
    const id = out.build?.id ?? "";
    expect(out.build?.buildStatus).toBe("IN_PROGRESS");
    expect(out.build?.currentPhase).toBe("QUEUED");
    expect(out.build?.startTime).toBeInstanceOf(Date);
    const building = await inPhase(id, "BUILD");
    expect(building.environment?.type).toBe("ARM_CONTAINER");
    expect(building.environment?.computeType).toBe("BUILD_GENERAL1_LARGE");
    expect(building.environment?.privilegedMode).toBe(true);
    const c = rt.containers.get(id);
    expect([c?.arch, c?.capacity, c?.env.JIT]).toEqual(["ARM64", "BUILD_GENERAL1_LARGE", "cfg"]);
    c?.exit(0);
    const done = await eventually(async () => ((await get(id)).buildComplete ? get(id) : undefined));
    expect(done.buildStatus).toBe("SUCCEEDED");
    expect(done.endTime).toBeInstanceOf(Date);
    expect(done.phases?.map((p) => p.phaseType)).toEqual([
      "SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED",
    ]);
  });

  it("fails a build whose program exits non-zero, with the BUILD phase FAILED", async () => {
    const out = await bed.codebuild().send(new StartBuildCommand({ projectName: bed.sim.codebuildProject }));
    const id = out.build?.id ?? "";
    await inPhase(id, "BUILD");
    rt.containers.get(id)?.exit(1);
    const done = await eventually(async () => ((await get(id)).buildComplete ? get(id) : undefined));
    expect(done.buildStatus).toBe("FAILED");
    expect(done.phases?.find((p) => p.phaseType === "BUILD")?.phaseStatus).toBe("FAILED");
  });

  it("stops a build on StopBuild: the container is killed and the build ends STOPPED", async () => {
    const out = await bed.codebuild().send(new StartBuildCommand({ projectName: bed.sim.codebuildProject }));
    const id = out.build?.id ?? "";
    await inPhase(id, "BUILD");
    const stop = await bed.codebuild().send(new StopBuildCommand({ id }));
    expect(stop.build?.buildStatus).toBe("STOPPED");
    expect(rt.containers.get(id)?.signals).toEqual(["SIGKILL"]);
    const done = await eventually(async () => ((await get(id)).buildComplete ? get(id) : undefined));
    expect(done.buildStatus).toBe("STOPPED");
  });

  it("resolves PARAMETER_STORE variables for the build's commands while BatchGetBuilds shows only the name", async () => {
    const name = "/tornade/jit/resolved";
    await bed.ssm().send(new PutParameterCommand({ Name: name, Value: "secret-config", Type: "SecureString", KeyId: DEFAULT_JIT_KMS_KEY, Tier: "Advanced" }));
    const out = await bed.codebuild().send(
      new StartBuildCommand({ projectName: bed.sim.codebuildProject, environmentVariablesOverride: [{ name: "JIT", value: name, type: "PARAMETER_STORE" }] }),
    );
    const id = out.build?.id ?? "";
    const building = await inPhase(id, "BUILD");
    expect(rt.containers.get(id)?.env.JIT).toBe("secret-config");
    expect(building.environment?.environmentVariables).toContainEqual({ name: "JIT", value: name, type: "PARAMETER_STORE" });
    expect(JSON.stringify(bed.responses.filter((r) => r.service === "codebuild"))).not.toContain("secret-config");
    rt.containers.get(id)?.exit(0);
  });

  it("fails a build whose parameter does not exist in DOWNLOAD_SOURCE, as CodeBuild reports it, without running it", async () => {
    const out = await bed.codebuild().send(
      new StartBuildCommand({
        projectName: bed.sim.codebuildProject,
        environmentVariablesOverride: [{ name: "JIT", value: "/tornade/jit/never-written", type: "PARAMETER_STORE" }],
      }),
    );
    const id = out.build?.id ?? "";
    const done = await eventually(async () => ((await get(id)).buildComplete ? get(id) : undefined));
    expect(done.buildStatus).toBe("FAILED");
    const download = done.phases?.find((p) => p.phaseType === "DOWNLOAD_SOURCE");
    expect(download?.phaseStatus).toBe("FAILED");
    expect(download?.contexts).toEqual([{ statusCode: "Decrypted Variables Error", message: "parameter does not exist: /tornade/jit/never-written" }]);
    expect(done.phases?.map((p) => p.phaseType)).not.toContain("BUILD");
    expect(rt.containers.has(id)).toBe(false);
  });

  it("answers the same build for a repeated idempotencyToken", async () => {
    const a = await bed.codebuild().send(new StartBuildCommand({ projectName: bed.sim.codebuildProject, idempotencyToken: "job-9-1" }));
    const b = await bed.codebuild().send(new StartBuildCommand({ projectName: bed.sim.codebuildProject, idempotencyToken: "job-9-1" }));
    expect(b.build?.id).toBe(a.build?.id);
    expect(bed.sim.control.listBuilds().filter((x) => x.id === a.build?.id)).toHaveLength(1);
  });

  it("refuses unknown projects, bad compute types and reports unknown build ids", async () => {
    await expect(bed.codebuild().send(new StartBuildCommand({ projectName: "nope" }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      bed.codebuild().send(new StartBuildCommand({ projectName: bed.sim.codebuildProject, computeTypeOverride: "BUILD_LAMBDA_1GB" })),
    ).rejects.toBeInstanceOf(InvalidInputException);
    const out = await bed.codebuild().send(new BatchGetBuildsCommand({ ids: ["tornade-runner:does-not-exist"] }));
    expect(out.buildsNotFound).toEqual(["tornade-runner:does-not-exist"]);
  });

  it("gave only answers that match AWS's output model", () => {
    expect(bed.responses.length).toBeGreaterThan(5);
    expect(bed.outputProblems()).toEqual([]);
    expect(bed.sim.control.stats().calls["codebuild.StartBuild"]).toBeGreaterThanOrEqual(5);
  });
});
