import {
  BatchGetBuildsCommand,
  ListBuildsForProjectCommand,
  StartBuildCommand,
  StopBuildCommand,
  type Build,
  type CodeBuildClient,
  type ComputeType,
  type EnvironmentType,
  type EnvironmentVariable,
  type ImagePullCredentialsType,
} from "@aws-sdk/client-codebuild";
import type { Arch, Backend, Size } from "../core/types.js";
import { JIT_CONFIG_ENV, JIT_PARAMETER_ENV, RUNNER_NAME_ENV, STANDBY_UNTIL_ENV } from "../core/runner-env.js";
import { awsIdempotencyToken } from "./idempotency.js";
import { mayHoldUnread, parameterToDiscard, type JitHandoff } from "./jit-handoff.js";
import { awsErrorToLaunchError } from "./launch-errors.js";
import { buildOfEvent } from "./state-events.js";
import { LaunchError, runnerEnvironment, type LaunchHandle, type LaunchRequest, type LaunchState, type LostLaunch, type Provider } from "./provider.js";

export interface CodeBuildProviderOptions {
  /** Built by the caller from configuration (region, credentials, endpoint, retry policy). */
  readonly client: CodeBuildClient;
  /** Project name per architecture; its buildspec runs the runner. */
  readonly projects: Readonly<Partial<Record<Arch, string>>>;
  /**
   * Catalog image name → image per architecture (e.g. an ECR URI). An image with no entry (usually "default") keeps
   * the project's own image.
   */
  readonly images?: Readonly<Record<string, Readonly<Partial<Record<Arch, string>>>>>;
  /**
   * How CodeBuild pulls an overridden image: "SERVICE_ROLE" for private ECR or cross-account images (CodeBuild API
   * Reference, StartBuild `imagePullCredentialsTypeOverride`). Default: the project's setting.
   */
  readonly imagePullCredentials?: ImagePullCredentialsType;
  /** How the JIT config reaches the runner: never a PLAINTEXT variable, which BatchGetBuilds shows. */
  readonly handoff: JitHandoff;
  /** Reserved-capacity fleets by the name `fleet=` gives → fleet ARN (config aws.codebuild.fleets). */
  readonly fleets?: Readonly<Record<string, string>>;
}

/**
 * Size preset → on-demand compute type ("Build environment compute modes and types",
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-compute-types.html). ARM_CONTAINER offers fewer
 * sizes in some regions; CodeBuild refuses a combination it lacks (InvalidInputException → permanent, with its words).
 */
export const CODEBUILD_COMPUTE_TYPES: Readonly<Record<Size, ComputeType>> = {
  small: "BUILD_GENERAL1_SMALL",
  medium: "BUILD_GENERAL1_MEDIUM",
  large: "BUILD_GENERAL1_LARGE",
  xlarge: "BUILD_GENERAL1_XLARGE",
  "2xlarge": "BUILD_GENERAL1_2XLARGE",
};

const ENVIRONMENT_TYPES: Readonly<Record<Arch, EnvironmentType>> = {
  X86_64: "LINUX_CONTAINER",
  ARM64: "ARM_CONTAINER",
};

/** BatchGetBuilds accepts at most 100 ids per call (CodeBuild API Reference, BatchGetBuilds `ids`). */
const DESCRIBE_BATCH = 100;

/**
 * How many pages of a project's builds (100 each) findLaunch reads at most: a lost launch is looked for soon after it
 * was requested (the next reconcile or standby round), when few builds can have started since.
 */
const FIND_PAGES = 5;

/** A build's startTime is CodeBuild's clock, requestedAt the controller's: builds this much older are still read. */
export const FIND_CLOCK_SKEW_MS = 60_000;

/** Phases before the build container runs anything ("Build phase transitions", CodeBuild User Guide). */
const STARTING_PHASES = new Set(["SUBMITTED", "QUEUED", "PROVISIONING"]);

/** Runs one runner per job as a CodeBuild build: the backend for jobs that need Docker. */
export class CodeBuildProvider implements Provider {
  readonly backends: readonly Backend[] = ["CODEBUILD"];

  constructor(private readonly opts: CodeBuildProviderOptions) {}

  async launch(req: LaunchRequest): Promise<LaunchHandle> {
    const { spec } = req;
    if (spec.backend !== "CODEBUILD") {
      throw new LaunchError("permanent", `the CodeBuild provider cannot launch on ${spec.backend}`);
    }
    const projectName = this.opts.projects[spec.arch];
    if (!projectName) {
      throw new LaunchError("permanent", `no CodeBuild project is configured for ${spec.arch}`);
    }
    const image = this.opts.images?.[spec.image]?.[spec.arch];
    if (spec.image !== "default" && !image) {
      throw new LaunchError(
        "permanent",
        `no CodeBuild image is configured for image "${spec.image}" on ${spec.arch}; add one to the image catalog`,
      );
    }
    const fleetArn = spec.fleet === undefined ? undefined : this.opts.fleets?.[spec.fleet];
    if (spec.fleet !== undefined && !fleetArn) {
      throw new LaunchError("permanent", `no CodeBuild fleet "${spec.fleet}" is configured; add it to aws.codebuild.fleets (TORNADE_CODEBUILD_FLEETS)`);
    }
    // A standby's parameter is written when a job is handed to it, not now.
    const parameter = req.standby ? req.standby.parameter : await this.opts.handoff.put(req);
    let answer;
    try {
      answer = await this.opts.client.send(
        new StartBuildCommand({
          projectName,
          environmentVariablesOverride: environment(req, parameter),
          // On a reserved-capacity fleet the fleet's instances set the environment and compute type (StartBuild
          // fleetOverride); on demand, the job's arch and size do.
          ...(fleetArn
            ? { fleetOverride: { fleetArn } }
            : { environmentTypeOverride: ENVIRONMENT_TYPES[spec.arch], ...(spec.size ? { computeTypeOverride: CODEBUILD_COMPUTE_TYPES[spec.size] } : {}) }),
          ...(image ? { imageOverride: image } : {}),
          ...(image && this.opts.imagePullCredentials
            ? { imagePullCredentialsTypeOverride: this.opts.imagePullCredentials }
            : {}),
          // Jobs on CodeBuild are the ones that need Docker; the daemon needs privileged mode.
          privilegedModeOverride: true,
          // Valid for 5 minutes (StartBuild `idempotencyToken`): enough for a retry after a lost answer; the
          // controller's launch record guards against repeats beyond that.
          idempotencyToken: awsIdempotencyToken(req.idempotencyKey),
        }),
      );
    } catch (e) {
      const err = awsErrorToLaunchError("CodeBuild", "StartBuild", e);
      await this.opts.handoff.discard(parameterToDiscard(err, parameter));
      throw err;
    }
    const id = answer.build?.id;
    if (!id) throw new LaunchError("transient", "CodeBuild StartBuild answered without a build id");
    return { backend: "CODEBUILD", id };
  }

  async describe(handles: readonly LaunchHandle[]): Promise<LaunchState[]> {
    const states = new Map<string, LaunchState>();
    const unread: string[] = [];
    for (let i = 0; i < handles.length; i += DESCRIBE_BATCH) {
      const batch = handles.slice(i, i + DESCRIBE_BATCH);
      let answer;
      try {
        answer = await this.opts.client.send(new BatchGetBuildsCommand({ ids: batch.map((h) => h.id) }));
      } catch (e) {
        throw awsErrorToLaunchError("CodeBuild", "BatchGetBuilds", e);
      }
      for (const build of answer.builds ?? []) {
        const handle = batch.find((h) => h.id === build.id);
        if (!handle) continue;
        const state = stateOf(handle, build);
        states.set(handle.id, state);
        const parameter = unreadParameter(build, state);
        if (parameter) unread.push(parameter);
      }
    }
    await this.opts.handoff.discard(unread);
    return handles.map(
      (h) =>
        states.get(h.id) ?? {
          handle: h,
          status: "stopped",
          spotInterrupted: false,
          reason: "CodeBuild does not know this build (BatchGetBuilds listed it in buildsNotFound)",
        },
    );
  }

  /**
   * CodeBuild has no look-up by name (ECS's ListTasks `startedBy`): the project's builds are listed newest first
   * (ListBuildsForProject, 100 ids a page) and read (BatchGetBuilds) until one names the runner in its environment
   * (RUNNER_NAME_ENV, which StartBuild was given), or the page reaches builds started before the launch was requested,
   * or FIND_PAGES pages were read.
   */
  async findLaunch(lost: LostLaunch): Promise<LaunchHandle | undefined> {
    const projectName = this.opts.projects[lost.arch];
    if (!projectName) return undefined;
    const since = lost.requestedAt - FIND_CLOCK_SKEW_MS;
    let nextToken: string | undefined;
    for (let page = 0; page < FIND_PAGES; page++) {
      let listed;
      try {
        // No sortOrder: newest first is the default, and setting one is refused past 100 builds.
        listed = await this.opts.client.send(new ListBuildsForProjectCommand({ projectName, ...(nextToken ? { nextToken } : {}) }));
      } catch (e) {
        throw awsErrorToLaunchError("CodeBuild", "ListBuildsForProject", e);
      }
      const ids = listed.ids ?? [];
      if (!ids.length) return undefined;
      let builds;
      try {
        builds = (await this.opts.client.send(new BatchGetBuildsCommand({ ids }))).builds ?? [];
      } catch (e) {
        throw awsErrorToLaunchError("CodeBuild", "BatchGetBuilds", e);
      }
      const found = builds.find((b) => b.id && variableOf(b, RUNNER_NAME_ENV) === lost.runnerName);
      if (found?.id) return { backend: lost.backend, id: found.id };
      // Newest first: a build older than the request means every later page is older still.
      if (builds.some((b) => b.startTime !== undefined && b.startTime.getTime() < since)) return undefined;
      nextToken = listed.nextToken;
      if (!nextToken) return undefined;
    }
    return undefined;
  }

  async takeEvent(event: unknown): Promise<LaunchState | undefined> {
    const build = buildOfEvent(event);
    if (!build) return undefined;
    const state = stateOf({ backend: "CODEBUILD", id: build.id }, build);
    const parameter = unreadParameter(build, state);
    if (parameter) await this.opts.handoff.discard([parameter]);
    return state;
  }

  async stop(handle: LaunchHandle, _why: string): Promise<void> {
    // StopBuild takes no reason; the caller records why.
    let answer;
    try {
      answer = await this.opts.client.send(new StopBuildCommand({ id: handle.id }));
    } catch (e) {
      throw awsErrorToLaunchError("CodeBuild", "StopBuild", e);
    }
    // A stopped build reads nothing more: its parameter goes now if it is still there.
    const parameter = answer.build && parameterOf(answer.build);
    if (parameter) await this.opts.handoff.discard([parameter]);
  }
}

/**
 * The JIT config is a PARAMETER_STORE variable: its value is the one-time parameter's name, which CodeBuild resolves
 * with the project's service role when the build starts (DOWNLOAD_SOURCE) and hands to the build's commands;
 * BatchGetBuilds shows only the name. The name also goes in PLAINTEXT as JIT_PARAMETER_ENV so that the entrypoint
 * deletes the parameter once the runner has it (runner-image/entrypoint.sh). A standby's parameter does not exist when
 * its build starts (CodeBuild would fail the build resolving it): it gets the name only, and polls for it as a
 * Fargate runner reads it.
 */
function environment(req: LaunchRequest, parameter: string): EnvironmentVariable[] {
  return [
    ...(req.standby ? [] : [{ name: JIT_CONFIG_ENV, value: parameter, type: "PARAMETER_STORE" as const }]),
    ...runnerEnvironment(req, parameter).map((v) => ({ ...v, type: "PLAINTEXT" as const })),
  ];
}

/** The JIT parameter of a build in `state` that its runner may not have read (and never will): undefined if none. */
function unreadParameter(build: Build, state: LaunchState): string | undefined {
  const parameter = parameterOf(build);
  return parameter && mayHoldUnread(state, variableOf(build, STANDBY_UNTIL_ENV) !== undefined) ? parameter : undefined;
}

/** The JIT parameter a build was told of (its environment, as StartBuild was given it). */
function parameterOf(build: Build): string | undefined {
  return variableOf(build, JIT_PARAMETER_ENV);
}

/** A PLAINTEXT variable of a build's environment, as BatchGetBuilds shows it. */
function variableOf(build: Build, name: string): string | undefined {
  return build.environment?.environmentVariables?.find((e) => e.name === name)?.value;
}

function stateOf(handle: LaunchHandle, build: Build): LaunchState {
  const times = {
    ...(build.startTime ? { startedAt: build.startTime.getTime() } : {}),
    ...(build.endTime ? { stoppedAt: build.endTime.getTime() } : {}),
  };
  if (build.buildStatus === "IN_PROGRESS" || build.buildStatus === undefined) {
    const starting = build.buildComplete !== true && STARTING_PHASES.has(build.currentPhase ?? "SUBMITTED");
    return { handle, status: starting ? "pending" : "running", spotInterrupted: false, ...times };
  }
  // SUCCEEDED, FAILED, FAULT, TIMED_OUT, STOPPED.
  const reason = failureText(build) ?? `build ${build.buildStatus}`;
  return {
    handle,
    status: "stopped",
    succeeded: build.buildStatus === "SUCCEEDED",
    spotInterrupted: false,
    reason,
    ...times,
  };
}

/** CodeBuild explains a failed phase in its `contexts` messages. */
function failureText(build: Build): string | undefined {
  for (const phase of build.phases ?? []) {
    if (phase.phaseStatus && phase.phaseStatus !== "SUCCEEDED") {
      const message = phase.contexts?.map((c) => c.message).filter(Boolean).join("; ");
      if (message) return `${phase.phaseType ?? "phase"} ${phase.phaseStatus}: ${message}`;
    }
  }
  return undefined;
}
