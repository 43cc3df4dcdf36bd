/**
 * The life of a Fargate task, on the shared clock:
 * PROVISIONING → PENDING → RUNNING → DEPROVISIONING → STOPPED (AWS docs, "Amazon ECS task lifecycle",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html).
 * The container program starts (runtime.start) when the task reaches RUNNING; its exit stops the task with
 * stopCode EssentialContainerExited unless a stop was already asked for (StopTask, Spot interruption).
 *
 * Spot: AWS sends a two-minute warning as SIGTERM to the task's containers, then stops it (AWS docs, "AWS Fargate
 * capacity providers" → "Handling Fargate Spot termination notices"; re:Post knowledge center "How do I handle Spot
 * termination notices in AWS Fargate Spot tasks?", whose task state change shows stopCode "SpotInterruption" and
 * stoppedReason "Your Spot Task was interrupted.").
 * StopTask: SIGTERM, then SIGKILL after the container's stopTimeout, 30 s by default (ECS API reference, StopTask).
 */
import type { Clock } from "../../src/clock/clock.js";
import type { ContainerRuntime } from "../runtime.js";
import type { BootModel, BootPlan } from "./boot-model.js";
import type { TaskRecord } from "./ecs-state.js";
import { epochSeconds } from "./protocol.js";

/** DEPROVISIONING → STOPPED. How long RunTask → RUNNING takes is the boot model's (boot-model.ts). */
export const DEFAULT_STOPPING_MS = 10_000;

export const SPOT_NOTICE_MS = 120_000;
export const STOP_TIMEOUT_MS = 30_000;
export const SPOT_REASON = "Your Spot Task was interrupted.";

export class EcsLifecycle {
  constructor(
    private readonly clock: Clock,
    private readonly runtime: ContainerRuntime,
    private readonly boot: BootModel,
    private readonly stoppingMs = DEFAULT_STOPPING_MS,
  ) {}

  /**
   * Runs `fn(due)` once clock time reaches `from + ms` (re-arming if a real-time timer fired a hair early). `due`, not
   * the moment the timer fired, is when the transition happened: a phase lasts exactly what the boot model planned,
   * however late a loaded machine runs the timer.
   */
  private after(task: TaskRecord, ms: number, fn: (due: number) => void, from = this.clock.now()): void {
    task.timer?.cancel();
    const due = from + ms;
    const arm = (wait: number) => {
      const t = this.clock.setTimeout(() => {
        const left = due - this.clock.now();
        if (left > 0) return arm(left);
        task.timer = undefined;
        fn(due);
      }, wait);
      task.timer = { cancel: () => this.clock.clearTimeout(t) };
    };
    arm(Math.max(0, due - this.clock.now()));
  }

  private set(task: TaskRecord, status: TaskRecord["lastStatus"]): void {
    task.lastStatus = status;
    task.version++;
  }

  /** Tasks still to be slowed by slowNext, and by how much. */
  private slow: { remaining: number; extraMs: number } | undefined;

  /**
   * The next `times` tasks stay PROVISIONING `extraMs` longer than usual — Fargate sometimes takes minutes to find
   * capacity, so runners launched in one order come up in another.
   */
  slowNext(times: number, extraMs: number): void {
    this.slow = times > 0 ? { remaining: times, extraMs } : undefined;
  }

  /** Starts a freshly created (PROVISIONING) task on its way. */
  begin(task: TaskRecord): void {
    let extraMs = 0;
    if (this.slow && this.slow.remaining > 0) {
      extraMs = this.slow.extraMs;
      if (--this.slow.remaining === 0) this.slow = undefined;
    }
    const arch = task.taskDefinition.cpuArchitecture;
    const plan = this.boot.plan({ backend: "FARGATE", arch, image: task.taskDefinition.image });
    task.boot = plan;
    this.after(
      task,
      plan.provisioningMs + extraMs,
      (pending) => {
        this.set(task, "PENDING");
        task.pullStartedAt = pending;
        this.after(task, plan.pullMs, (running) => this.run(task, running, plan), pending);
      },
      task.createdAt,
    );
  }

  private run(task: TaskRecord, at: number, plan: BootPlan): void {
    task.pullStoppedAt = at;
    task.startedAt = at;
    this.set(task, "RUNNING");
    task.handle = this.runtime.start(
      { kind: "ecs", id: task.arn, arch: task.taskDefinition.cpuArchitecture, capacity: task.capacity, env: task.env, startupMs: plan.runnerStartMs, warmedStartupMs: plan.runnerStartWarmedMs },
      (exitCode) => this.exited(task, exitCode),
    );
  }

  private exited(task: TaskRecord, exitCode: number): void {
    if (task.lastStatus === "STOPPED" || task.lastStatus === "DEPROVISIONING") return;
    task.handle = undefined;
    task.exitCode = exitCode;
    if (task.desiredStatus === "RUNNING") {
      task.stopCode = "EssentialContainerExited";
      task.stoppedReason = "Essential container in task exited";
      task.desiredStatus = "STOPPED";
      task.stoppingAt = this.clock.now();
    }
    this.deprovision(task);
  }

  private deprovision(task: TaskRecord): void {
    task.executionStoppedAt = this.clock.now();
    this.set(task, "DEPROVISIONING");
    this.after(task, this.stoppingMs, () => {
      task.stoppedAt = this.clock.now();
      this.set(task, "STOPPED");
    });
  }

  /**
   * Asks the task to stop: before RUNNING it goes straight to STOPPED (nothing ran); while RUNNING the container gets
   * SIGTERM and, if still alive after `graceMs`, SIGKILL.
   */
  stop(task: TaskRecord, stopCode: NonNullable<TaskRecord["stopCode"]>, reason: string, graceMs = STOP_TIMEOUT_MS): void {
    if (task.desiredStatus === "STOPPED" || task.lastStatus === "STOPPED") return;
    task.desiredStatus = "STOPPED";
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = this.clock.now();
    task.version++;
    if (task.lastStatus === "PROVISIONING" || task.lastStatus === "PENDING") {
      task.timer?.cancel();
      this.deprovision(task);
      return;
    }
    if (task.lastStatus === "RUNNING" && task.handle) {
      const handle = task.handle;
      handle.signal("SIGTERM");
      if (task.handle) this.after(task, graceMs, () => task.handle?.signal("SIGKILL"));
    }
  }

  interruptSpot(task: TaskRecord): void {
    this.stop(task, "SpotInterruption", SPOT_REASON, SPOT_NOTICE_MS);
  }

  /** Ends all timers and containers (server close). */
  dispose(tasks: Iterable<TaskRecord>): void {
    for (const t of tasks) {
      t.timer?.cancel();
      const h = t.handle;
      t.handle = undefined;
      h?.signal("SIGKILL");
    }
  }
}

/** The ECS `Task` structure for a record (DescribeTasks, RunTask, StopTask answers). */
export function taskToApi(task: TaskRecord, region: string, includeTags: boolean): Record<string, unknown> {
  const s = (ms: number | undefined) => (ms === undefined ? undefined : epochSeconds(ms));
  const arch = task.taskDefinition.cpuArchitecture;
  const containerStatus = task.lastStatus === "RUNNING" ? "RUNNING" : task.lastStatus === "STOPPED" || task.lastStatus === "DEPROVISIONING" ? "STOPPED" : "PENDING";
  const eniId = `eni-${task.id.slice(0, 17)}`;
  const out: Record<string, unknown> = {
    attachments: [
      {
        id: `${task.id.slice(0, 8)}-attach`,
        type: "ElasticNetworkInterface",
        status: task.lastStatus === "STOPPED" ? "DELETED" : task.lastStatus === "PROVISIONING" ? "PRECREATED" : "ATTACHED",
        details: [
          { name: "subnetId", value: task.subnet },
          { name: "networkInterfaceId", value: eniId },
          { name: "privateIPv4Address", value: task.privateIp },
        ],
      },
    ],
    attributes: [{ name: "ecs.cpu-architecture", value: arch === "ARM64" ? "arm64" : "x86_64" }],
    availabilityZone: task.availabilityZone,
    clusterArn: task.cluster.arn,
    connectivity: task.startedAt !== undefined ? "CONNECTED" : undefined,
    connectivityAt: s(task.startedAt),
    containers: [
      {
        containerArn: `arn:aws:ecs:${region}:${task.arn.split(":")[4]}:container/${task.cluster.name}/${task.id}/${task.id.slice(0, 8)}-runner`,
        taskArn: task.arn,
        name: task.taskDefinition.containerName,
        image: task.taskDefinition.image,
        lastStatus: containerStatus,
        exitCode: task.exitCode,
        reason: task.containerReason,
        networkInterfaces: [{ attachmentId: `${task.id.slice(0, 8)}-attach`, privateIpv4Address: task.privateIp }],
        healthStatus: "UNKNOWN",
        cpu: "0",
      },
    ],
    cpu: task.cpu,
    createdAt: s(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: false,
    ephemeralStorage: { sizeInGiB: task.ephemeralStorageGiB },
    executionStoppedAt: s(task.executionStoppedAt),
    group: task.group,
    healthStatus: "UNKNOWN",
    lastStatus: task.lastStatus,
    launchType: "FARGATE",
    capacityProviderName: task.capacityProviderName,
    memory: task.memory,
    overrides: task.overrides ?? { containerOverrides: [{ name: task.taskDefinition.containerName }], inferenceAcceleratorOverrides: [] },
    platformVersion: "1.4.0",
    platformFamily: "Linux",
    pullStartedAt: s(task.pullStartedAt),
    pullStoppedAt: s(task.pullStoppedAt),
    startedAt: s(task.startedAt),
    startedBy: task.startedBy,
    stopCode: task.stopCode,
    stoppedAt: s(task.stoppedAt),
    stoppedReason: task.stoppedReason,
    stoppingAt: s(task.stoppingAt),
    tags: includeTags ? task.tags : [],
    taskArn: task.arn,
    taskDefinitionArn: task.taskDefinition.arn,
    version: task.version,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}
