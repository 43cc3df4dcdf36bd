import {
  BatchGetBuildsCommand,
  InvalidInputException,
  ListBuildsForProjectCommand,
  paginateListBuildsForProject,
  ResourceNotFoundException,
  StartBuildCommand,
  StopBuildCommand,
  type Build,
} from "@aws-sdk/client-codebuild";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_JIT_KMS_KEY } from "../../src/core/runner-env.js";
import { FLEET_HANDOVER_MS } from "./codebuild-fleets.js";
import { LIST_PAGE_SIZE } from "./codebuild-list.js";
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

  // Reserved-capacity fleets (codebuild-fleets.ts): StartBuild fleetOverride, baseCapacity, overflowBehavior.
  const start = async (fleetArn: string) => (await bed.codebuild().send(new StartBuildCommand({ projectName: bed.sim.codebuildProject, fleetOverride: { fleetArn } }))).build?.id ?? "";
  const building = (id: string) => inPhase(id, "BUILD");
  /** A fleet of one instance, busy with a first build. */
  const busyFleet = async (name: string, overflowBehavior: "QUEUE" | "ON_DEMAND") => {
    const fleet = bed.sim.control.createFleet({ name, baseCapacity: 1, overflowBehavior });
    const first = await start(fleet.arn);
    await building(first);
    return { fleet, first };
  };
  const summary = (id: string) => bed.sim.control.listBuilds().find((b) => b.id === id);
  const phases = (b: Build) => (b.phases ?? []).map((p) => p.phaseType);

  it("fleets: runs a build on a free instance: no provisioning, the fleet's compute type, the fleet named in the build", async () => {
    const fleet = bed.sim.control.createFleet({ name: "warm-pool", baseCapacity: 1, computeType: "BUILD_GENERAL1_MEDIUM" });
    const id = await start(fleet.arn);
    const b = await building(id);
    expect(b.environment?.fleet?.fleetArn).toBe(fleet.arn);
    expect(b.environment?.computeType).toBe("BUILD_GENERAL1_MEDIUM");
    expect(summary(id)?.fleet).toEqual({ name: "warm-pool", arn: fleet.arn, onInstance: true });
    expect(summary(id)?.boot).toMatchObject({ queuedMs: FLEET_HANDOVER_MS, provisioningMs: 0, pullMs: 0 });
    // PROVISIONING is still a phase, of no length: the instance is up.
    expect(b.phases?.find((p) => p.phaseType === "PROVISIONING")?.durationInSeconds).toBe(0);
    rt.containers.get(id)?.exit(0);
    await eventually(async () => ((await get(id)).buildComplete ? true : undefined));
  });

  it("fleets: QUEUE: with every instance busy, a build waits in QUEUED and takes the instance the first one frees", async () => {
    const { first, fleet } = await busyFleet("queue-fleet", "QUEUE");
    const second = await start(fleet.arn);
    // Still queued while the first holds the one instance (it would be in BUILD within the hand-over otherwise).
    await new Promise((r) => setTimeout(r, 50));
    expect((await get(second)).currentPhase).toBe("QUEUED");
    expect(rt.containers.get(second)).toBeUndefined();
    rt.containers.get(first)?.exit(0);
    const b = await building(second);
    expect(summary(second)?.fleet?.onInstance).toBe(true);
    expect(phases(b)).toContain("PROVISIONING");
    rt.containers.get(second)?.exit(0);
  });

  it("fleets: QUEUE: a build stopped while it waits leaves the line", async () => {
    const { first, fleet } = await busyFleet("queue-stop", "QUEUE");
    const waiting = await start(fleet.arn);
    const third = await start(fleet.arn);
    await bed.codebuild().send(new StopBuildCommand({ id: waiting }));
    rt.containers.get(first)?.exit(0);
    // The instance goes to the third, not to the stopped one.
    await building(third);
    expect(rt.containers.get(waiting)).toBeUndefined();
    rt.containers.get(third)?.exit(0);
  });

  it("fleets: ON_DEMAND: with every instance busy, a build runs on on-demand capacity with a cold boot", async () => {
    const { first, fleet } = await busyFleet("spill", "ON_DEMAND");
    const second = await start(fleet.arn);
    await building(second);
    expect(summary(second)?.fleet).toEqual({ name: "spill", arn: fleet.arn, onInstance: false });
    // The on-demand build's boot as the model drew it, not the fleet's hand-over.
    expect(summary(second)?.boot.provisioningMs).toBeGreaterThan(0);
    for (const id of [first, second]) rt.containers.get(id)?.exit(0);
  });

  it("fleets: refuses a fleet that does not exist, with AWS's error", async () => {
    await expect(start("arn:aws:codebuild:us-east-1:123456789012:fleet/nope:1")).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  describe("ListBuildsForProject", () => {
    const startMany = async (n: number): Promise<string[]> => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const out = await bed.codebuild().send(new StartBuildCommand({ projectName: bed.sim.codebuildProject }));
        ids.push(out.build?.id ?? "");
      }
      return ids;
    };
    const list = (input: { sortOrder?: "ASCENDING" | "DESCENDING"; nextToken?: string } = {}) =>
      bed.codebuild().send(new ListBuildsForProjectCommand({ projectName: bed.sim.codebuildProject, ...input }));

    it("lists a project's builds newest first by default, oldest first on ASCENDING, in one page up to 100", async () => {
      const ids = await startMany(3);
      const newest = await list();
      expect(newest.ids?.slice(0, 3)).toEqual([...ids].reverse());
      expect(newest.nextToken).toBeUndefined();
      expect((await list({ sortOrder: "ASCENDING" })).ids?.slice(-3)).toEqual(ids);
      expect((await list({ sortOrder: "DESCENDING" })).ids).toEqual(newest.ids);
    });

    it("pages past 100 builds with nextToken, newest first, each build once, and refuses a sort order then", async () => {
      const before = (await list()).ids ?? [];
      const ids = [...before].reverse().concat(await startMany(LIST_PAGE_SIZE + 5 - before.length));
      const first = await list();
      expect(first.ids).toHaveLength(LIST_PAGE_SIZE);
      expect(first.nextToken).toEqual(expect.any(String));
      // A build started between pages comes first in a fresh listing, not in the next page.
      const [late] = await startMany(1);
      const second = await list({ nextToken: first.nextToken ?? "" });
      expect([...(first.ids ?? []), ...(second.ids ?? [])]).toEqual([...ids].reverse());
      expect(second.nextToken).toBeUndefined();
      const all: string[] = [];
      for await (const page of paginateListBuildsForProject({ client: bed.codebuild() }, { projectName: bed.sim.codebuildProject })) all.push(...(page.ids ?? []));
      expect(all).toEqual([late, ...[...ids].reverse()]);
      await expect(list({ sortOrder: "DESCENDING" })).rejects.toBeInstanceOf(InvalidInputException);
    });

    it("refuses an unknown project and a token that is not one of its own", async () => {
      await expect(bed.codebuild().send(new ListBuildsForProjectCommand({ projectName: "nope" }))).rejects.toBeInstanceOf(ResourceNotFoundException);
      await expect(list({ nextToken: "not-a-token" })).rejects.toBeInstanceOf(InvalidInputException);
    });
  });

  it("gave only answers that match AWS's output model", () => {
    expect(bed.responses.length).toBeGreaterThan(5);
    expect(bed.responses.some((r) => r.operation === "ListBuildsForProject")).toBe(true);
    expect(bed.outputProblems()).toEqual([]);
    expect(bed.sim.control.stats().calls["codebuild.StartBuild"]).toBeGreaterThanOrEqual(5);
  });
});
