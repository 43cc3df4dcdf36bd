import {
  DescribeTasksCommand,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type KeyValuePair,
  type Tag,
  type Task,
  type TaskOverride,
} from "@aws-sdk/client-ecs";
import type { Arch, Backend } from "../core/types.js";
import { JIT_PARAMETER_ENV, STANDBY_UNTIL_ENV } from "../core/runner-env.js";
import { awsIdempotencyToken } from "./idempotency.js";
import { mayHoldUnread, parameterToDiscard, type JitHandoff } from "./jit-handoff.js";
import { awsErrorToLaunchError, ecsFailureToLaunchError } from "./launch-errors.js";
import { taskOfEvent } from "./state-events.js";
import {
  LaunchError,
  type LaunchHandle,
  type LaunchRequest,
  type LaunchState,
  type LaunchStatus,
  type LostLaunch,
  type Provider,
  runnerEnvironment,
} from "./provider.js";

export interface EcsProviderOptions {
  /** Built by the caller from configuration (region, credentials, endpoint, retry policy). */
  readonly client: ECSClient;
  readonly cluster: string;
  /** Task definition (family[:revision] or ARN) per architecture for the "default" image. */
  readonly taskDefinitions: Readonly<Partial<Record<Arch, string>>>;
  /**
   * Other catalog images: RunTask cannot override a container's image, so each image is its own task definition
   * per architecture.
   */
  readonly imageTaskDefinitions?: Readonly<Record<string, Readonly<Partial<Record<Arch, string>>>>>;
  /** The runner container's name in those task definitions. Default "runner". */
  readonly containerName?: string;
  readonly subnets: readonly string[];
  readonly securityGroups?: readonly string[];
  /** Needed in public subnets without a NAT gateway, so the runner reaches GitHub. Default false. */
  readonly assignPublicIp?: boolean;
  /** How the JIT config reaches the runner: never in the container overrides, which DescribeTasks shows. */
  readonly handoff: JitHandoff;
}

/** Tag keys on every task, so people (and the cost report) can trace a task to its job. */
export const ECS_TAG_KEYS = {
  jobId: "jobId",
  runId: "runId",
  repository: "repository",
  runnerName: "runnerName",
} as const;

/** DescribeTasks accepts at most 100 tasks per call (ECS API Reference, DescribeTasks `tasks`). */
const DESCRIBE_BATCH = 100;

/**
 * Fargate Spot interruption: ECS stops the task with stopCode "SpotInterruption" ("AWS Fargate capacity providers" →
 * "Handling Fargate Spot interruptions", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html).
 */
export const SPOT_STOP_CODE = "SpotInterruption";

/** Runs one runner per job as an ECS task on FARGATE or FARGATE_SPOT. */
export class EcsProvider implements Provider {
  readonly backends: readonly Backend[] = ["FARGATE", "FARGATE_SPOT"];
  private readonly containerName: string;

  constructor(private readonly opts: EcsProviderOptions) {
    this.containerName = opts.containerName ?? "runner";
  }

  async launch(req: LaunchRequest): Promise<LaunchHandle> {
    const { spec } = req;
    if (spec.backend !== "FARGATE" && spec.backend !== "FARGATE_SPOT") {
      throw new LaunchError("permanent", `the ECS provider cannot launch on ${spec.backend}`);
    }
    const taskDefinition = this.taskDefinitionFor(spec.image, spec.arch);
    // A standby's parameter is written when a job is handed to it, not now.
    const parameter = req.standby ? req.standby.parameter : await this.opts.handoff.put(req);
    let answer;
    try {
      answer = await this.opts.client.send(
        new RunTaskCommand({
          cluster: this.opts.cluster,
          taskDefinition,
          count: 1,
          // A capacity provider strategy (not launchType) is what selects Fargate Spot; FARGATE and FARGATE_SPOT are
          // the cluster's built-in providers ("AWS Fargate capacity providers").
          capacityProviderStrategy: [{ capacityProvider: spec.backend, weight: 1 }],
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: [...this.opts.subnets],
              ...(this.opts.securityGroups ? { securityGroups: [...this.opts.securityGroups] } : {}),
              assignPublicIp: this.opts.assignPublicIp ? "ENABLED" : "DISABLED",
            },
          },
          overrides: this.overrides(req, parameter),
          // RunTask is idempotent on clientToken (up to 64 characters): a retry after a lost answer starts nothing new.
          clientToken: awsIdempotencyToken(req.idempotencyKey),
          // The runner's name, so a launch whose answer was lost can be found again (findLaunch); ECS allows 36
          // characters, so longer names (pool runners, which are found through GitHub instead) say only "tornade".
          startedBy: startedByOf(req.runnerName),
          // Tags are given directly; propagateTags (copying the task definition's or service's tags) is not needed.
          tags: tags(req),
        }),
      );
    } catch (e) {
      const err = awsErrorToLaunchError("ECS", "RunTask", e);
      await this.opts.handoff.discard(parameterToDiscard(err, parameter));
      throw err;
    }
    const arn = answer.tasks?.[0]?.taskArn;
    if (arn) return { backend: spec.backend, id: arn };
    await this.opts.handoff.discard([parameter]);
    throw ecsFailureToLaunchError(answer.failures?.[0] ?? {});
  }

  async findLaunch({ backend, runnerName }: LostLaunch): Promise<LaunchHandle | undefined> {
    if (startedByOf(runnerName) !== runnerName) return undefined;
    // ListTasks shows running tasks by default and recently stopped ones on request: both count.
    for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
      let answer;
      try {
        answer = await this.opts.client.send(new ListTasksCommand({ cluster: this.opts.cluster, startedBy: runnerName, desiredStatus, maxResults: 1 }));
      } catch (e) {
        throw awsErrorToLaunchError("ECS", "ListTasks", e);
      }
      const arn = answer.taskArns?.[0];
      if (arn) return { backend, id: arn };
    }
    return undefined;
  }

  async describe(handles: readonly LaunchHandle[]): Promise<LaunchState[]> {
    const states = new Map<string, LaunchState>();
    const unread: string[] = [];
    for (let i = 0; i < handles.length; i += DESCRIBE_BATCH) {
      const batch = handles.slice(i, i + DESCRIBE_BATCH);
      let answer;
      try {
        answer = await this.opts.client.send(
          new DescribeTasksCommand({ cluster: this.opts.cluster, tasks: batch.map((h) => h.id) }),
        );
      } catch (e) {
        throw awsErrorToLaunchError("ECS", "DescribeTasks", e);
      }
      for (const task of answer.tasks ?? []) {
        const handle = batch.find((h) => h.id === task.taskArn);
        if (!handle) continue;
        const state = this.stateOf(handle, task);
        states.set(handle.id, state);
        const parameter = this.unreadParameter(task, state);
        if (parameter) unread.push(parameter);
      }
    }
    await this.opts.handoff.discard(unread);
    // ECS forgets stopped tasks after a while (DescribeTasks then reports them as MISSING failures).
    return handles.map(
      (h) =>
        states.get(h.id) ?? {
          handle: h,
          status: "stopped",
          spotInterrupted: false,
          reason: "ECS no longer knows this task (stopped tasks are kept for about an hour)",
        },
    );
  }

  async stop(handle: LaunchHandle, why: string): Promise<void> {
    let answer;
    try {
      answer = await this.opts.client.send(
        // StopTask's reason is shown as stoppedReason; ECS allows up to 255 characters.
        new StopTaskCommand({ cluster: this.opts.cluster, task: handle.id, reason: `tornade: ${why}`.slice(0, 255) }),
      );
    } catch (e) {
      throw awsErrorToLaunchError("ECS", "StopTask", e);
    }
    // A stopped runner reads nothing more: its parameter goes now if it is still there.
    const parameter = answer.task && this.parameterOf(answer.task);
    if (parameter) await this.opts.handoff.discard([parameter]);
  }

  /** The JIT parameter of a task in `state` that its runner may not have read (and never will): undefined if none. */
  private unreadParameter(task: Task, state: LaunchState): string | undefined {
    const parameter = this.parameterOf(task);
    return parameter && mayHoldUnread(state, this.variableOf(task, STANDBY_UNTIL_ENV) !== undefined) ? parameter : undefined;
  }

  /** The JIT parameter a task was told of: its runner container's override, as RunTask was given it. */
  private parameterOf(task: Task): string | undefined {
    return this.variableOf(task, JIT_PARAMETER_ENV);
  }

  /** A variable of the runner container's environment, as RunTask's overrides gave it. */
  private variableOf(task: Task, name: string): string | undefined {
    const container = task.overrides?.containerOverrides?.find((c) => c.name === this.containerName);
    return container?.environment?.find((e) => e.name === name)?.value;
  }

  private taskDefinitionFor(image: string, arch: Arch): string {
    const byArch = image === "default" ? this.opts.taskDefinitions : this.opts.imageTaskDefinitions?.[image];
    const td = byArch?.[arch];
    if (!td) {
      throw new LaunchError(
        "permanent",
        `no ECS task definition is configured for image "${image}" on ${arch}; add one to the image catalog`,
      );
    }
    return td;
  }

  private overrides(req: LaunchRequest, parameter: string): TaskOverride {
    const { spec } = req;
    // The parameter's name, never the config: DescribeTasks shows these to anyone with ecs:DescribeTasks.
    const environment: KeyValuePair[] = runnerEnvironment(req, parameter);
    return {
      containerOverrides: [{ name: this.containerName, environment }],
      // Task-level size: Fargate takes CPU units (1 vCPU = 1024) and MiB, as strings (ECS API Reference, TaskOverride).
      ...(spec.cpu === undefined ? {} : { cpu: String(Math.round(spec.cpu * 1024)) }),
      ...(spec.memory === undefined ? {} : { memory: String(spec.memory) }),
      ...(spec.disk === undefined ? {} : { ephemeralStorage: { sizeInGiB: spec.disk } }),
    };
  }

  async takeEvent(event: unknown): Promise<LaunchState | undefined> {
    const task = taskOfEvent(event);
    if (!task) return undefined;
    // A Spot task keeps its backend: the event names the capacity provider it ran on.
    const state = this.stateOf({ backend: task.capacityProviderName === "FARGATE_SPOT" ? "FARGATE_SPOT" : "FARGATE", id: task.taskArn }, task);
    const parameter = this.unreadParameter(task, state);
    if (parameter) await this.opts.handoff.discard([parameter]);
    return state;
  }

  private stateOf(handle: LaunchHandle, task: Task): LaunchState {
    const status = ecsStatus(task.lastStatus);
    const runner = task.containers?.find((c) => c.name === this.containerName) ?? task.containers?.[0];
    const spotInterrupted = task.stopCode === SPOT_STOP_CODE;
    return {
      handle,
      status,
      spotInterrupted,
      ...(status === "stopped" ? { succeeded: !spotInterrupted && runner?.exitCode === 0 } : {}),
      ...(task.stoppedReason ? { reason: task.stoppedReason } : {}),
      ...(task.startedAt ? { startedAt: task.startedAt.getTime() } : {}),
      ...(task.stoppedAt ? { stoppedAt: task.stoppedAt.getTime() } : {}),
    };
  }
}

/**
 * Task lifecycle (ECS Developer Guide, "Amazon ECS task lifecycle"): PROVISIONING → PENDING → ACTIVATING → RUNNING →
 * DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED. Until STOPPED the task still holds capacity, so the stopping
 * states count as running.
 */
export function ecsStatus(lastStatus: string | undefined): LaunchStatus {
  switch (lastStatus) {
    case "STOPPED":
    case "DELETED":
      return "stopped";
    case "RUNNING":
    case "DEACTIVATING":
    case "STOPPING":
    case "DEPROVISIONING":
      return "running";
    default:
      return "pending";
  }
}

/**
 * ECS tag values allow letters, digits, spaces and `_ . : / = + - @`, up to 256 characters ("Tagging your Amazon ECS
 * resources" → tag restrictions); anything else in a repository or runner name becomes "_".
 */
function tagValue(v: string): string {
  return v.replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, "_").slice(0, 256);
}

/** ECS's RunTask `startedBy` takes up to 36 characters. */
const STARTED_BY_MAX = 36;

function startedByOf(runnerName: string): string {
  return runnerName.length <= STARTED_BY_MAX ? runnerName : "tornade";
}

function tags(req: LaunchRequest): Tag[] {
  return [
    { key: ECS_TAG_KEYS.jobId, value: String(req.jobId) },
    { key: ECS_TAG_KEYS.runId, value: String(req.runId) },
    { key: ECS_TAG_KEYS.repository, value: tagValue(req.repository) },
    { key: ECS_TAG_KEYS.runnerName, value: tagValue(req.runnerName) },
  ];
}
