import { CodeBuildClient, StartBuildCommand } from "@aws-sdk/client-codebuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { JIT_CONFIG_ENV, JIT_PARAMETER_ENV } from "../core/runner-env.js";
import { startAwsSim, type AwsSim } from "../../testbed/aws/index.js";
import { simHandoff } from "../../test/support/sim-handoff.js";
import { until } from "../../testbed/until.js";
import { CodeBuildProvider, FIND_CLOCK_SKEW_MS, type CodeBuildProviderOptions } from "./codebuild.js";
import { ControlledRuntime, describeUntil, launchRequest, providerContract, trafficRecorder, type ContractBed } from "./provider.contract.js";
import { LaunchError } from "./provider.js";

// Speed 50: the simulated ~22 s of QUEUED + PROVISIONING last ~0.4 s real, long enough to be seen as "pending".
const SPEED = 50;
const clock = scaledClock(SPEED);

function options(sim: AwsSim, over: Partial<CodeBuildProviderOptions> = {}): CodeBuildProviderOptions {
  return {
    client: new CodeBuildClient({
      endpoint: sim.endpoint,
      region: sim.region,
      credentials: { accessKeyId: "AKIDTESTBED", secretAccessKey: "testbed-secret" },
      maxAttempts: 1,
    }),
    // One project serves both architectures: environmentTypeOverride picks the container type.
    projects: { X86_64: sim.codebuildProject, ARM64: sim.codebuildProject },
    images: {
      docker: {
        X86_64: "123456789012.dkr.ecr.us-east-1.amazonaws.com/runner-docker:x86",
        ARM64: "123456789012.dkr.ecr.us-east-1.amazonaws.com/runner-docker:arm",
      },
    },
    handoff: simHandoff(sim, clock),
    ...over,
  };
}

async function makeBed(): Promise<ContractBed & { sim: AwsSim }> {
  const runtime = new ControlledRuntime();
  const traffic = trafficRecorder("codebuild");
  const sim = await startAwsSim({ clock, runtime, onRequest: traffic.onRequest, onResponse: traffic.onResponse });
  return {
    sim,
    backend: "CODEBUILD",
    runtime,
    provider: new CodeBuildProvider(options(sim)),
    misconfigured: new CodeBuildProvider(options(sim, { projects: { X86_64: "no-such-project", ARM64: "no-such-project" } })),
    launchCount: () => sim.control.listBuilds().length,
    throttleNextLaunch: () =>
      sim.control.failNext({ service: "codebuild", operation: "StartBuild", error: "ThrottlingException", message: "Rate exceeded" }),
    parameters: () => sim.control.listParameters().map((p) => p.name),
    handoff: simHandoff(sim, clock),
    traffic: traffic.text,
    close: () => sim.close(),
  };
}

providerContract("CodeBuild", makeBed, { capacityShortage: false });

describe("CodeBuildProvider specifics", () => {
  let bed: Awaited<ReturnType<typeof makeBed>>;
  beforeAll(async () => {
    bed = await makeBed();
  });
  afterAll(() => bed.close());

  it("overrides environment type by arch, compute type by size, the image, and privileged mode", async () => {
    const req = launchRequest("CODEBUILD", "ARM64", { size: "large", image: "docker" });
    const handle = await bed.provider.launch(req);
    const build = bed.sim.control.listBuilds().find((b) => b.id === handle.id);
    expect(build?.environmentType).toBe("ARM_CONTAINER");
    expect(build?.computeType).toBe("BUILD_GENERAL1_LARGE");
    expect(build?.image).toBe("123456789012.dkr.ecr.us-east-1.amazonaws.com/runner-docker:arm");
    expect(build?.privilegedMode).toBe(true);
    // The JIT config variable holds the parameter's name, which CodeBuild resolves (type PARAMETER_STORE).
    const parameter = bed.sim.control.listParameters().find((p) => p.name.includes(req.runnerName))?.name;
    expect(build?.env).toMatchObject({
      [JIT_CONFIG_ENV]: parameter,
      [JIT_PARAMETER_ENV]: parameter,
      TORNADE_RUNNER_NAME: req.runnerName,
      TORNADE_JOB_ID: String(req.jobId),
      TORNADE_RUN_ID: String(req.runId),
      TORNADE_REPOSITORY: req.repository,
    });
    await bed.runtime.waitStarted(handle.id);
    bed.runtime.finish(handle.id, 0);
  });

  it("keeps the project's image and compute type when the job names neither", async () => {
    const handle = await bed.provider.launch(launchRequest("CODEBUILD", "X86_64"));
    const build = bed.sim.control.listBuilds().find((b) => b.id === handle.id);
    expect(build?.environmentType).toBe("LINUX_CONTAINER");
    expect(build?.computeType).toBe("BUILD_GENERAL1_SMALL");
    expect(build?.image).toBe("aws/codebuild/standard:7.0");
    await bed.runtime.waitStarted(handle.id);
    bed.runtime.finish(handle.id, 0);
  });

  it("refuses an image missing from the catalog, and an arch without a project, before calling AWS", async () => {
    const before = bed.sim.control.stats().calls["codebuild.StartBuild"] ?? 0;
    const noImage = await bed.provider.launch(launchRequest("CODEBUILD", "X86_64", { image: "gpu" })).catch((e: unknown) => e);
    expect((noImage as LaunchError).kind).toBe("permanent");
    const armless = new CodeBuildProvider(options(bed.sim, { projects: { X86_64: bed.sim.codebuildProject } }));
    const noProject = await armless.launch(launchRequest("CODEBUILD", "ARM64")).catch((e: unknown) => e);
    expect((noProject as LaunchError).kind).toBe("permanent");
    expect((noProject as LaunchError).message).toMatch(/ARM64/);
    expect(bed.sim.control.stats().calls["codebuild.StartBuild"] ?? 0).toBe(before);
  });

  it("maps the concurrent-build quota to capacity and a server fault to transient", async () => {
    bed.sim.control.failNext({ service: "codebuild", operation: "StartBuild", error: "AccountLimitExceededException" });
    const quota = await bed.provider.launch(launchRequest("CODEBUILD", "X86_64")).catch((e: unknown) => e);
    expect(quota).toBeInstanceOf(LaunchError);
    expect((quota as LaunchError).kind).toBe("capacity");
    bed.sim.control.failNext({ service: "codebuild", operation: "StartBuild", error: "InternalFailure" });
    const server = await bed.provider.launch(launchRequest("CODEBUILD", "X86_64")).catch((e: unknown) => e);
    expect((server as LaunchError).kind).toBe("transient");
  });

  it("finds a lost build past 100 newer ones, and reads no further back than the launch's request", async () => {
    const client = options(bed.sim).client;
    /** `n` builds of other runners, then a wait past the allowed clock skew: later requests cannot be theirs. */
    const others = async (n: number) => {
      for (let i = 0; i < n; i++) await client.send(new StartBuildCommand({ projectName: bed.sim.codebuildProject }));
      const after = clock.now();
      await until("the clock to pass the skew allowed", () => clock.now() - after > 2 * FIND_CLOCK_SKEW_MS);
    };
    const requestedAt = clock.now();
    const req = launchRequest("CODEBUILD", "X86_64");
    const handle = await bed.provider.launch(req);
    await others(100);
    const laterRequest = clock.now();
    await others(100);
    const lists = () => bed.sim.control.stats().calls["codebuild.ListBuildsForProject"] ?? 0;
    const lost = { backend: "CODEBUILD" as const, arch: "X86_64" as const, runnerName: req.runnerName, requestedAt };
    let before = lists();
    expect(await bed.provider.findLaunch(lost)).toEqual(handle);
    expect(lists() - before).toBe(3);
    // Requested after the first hundred started: the second page shows them older, and the look ends there.
    before = lists();
    expect(await bed.provider.findLaunch({ ...lost, runnerName: "tornade-404-1", requestedAt: laterRequest })).toBeUndefined();
    expect(lists() - before).toBe(2);
  });

  it("reports a build CodeBuild does not know as stopped", async () => {
    const [state] = await bed.provider.describe([{ backend: "CODEBUILD", id: "tornade-runner:00000000-0000-0000-0000-000000000000" }]);
    expect(state?.status).toBe("stopped");
  });
});
