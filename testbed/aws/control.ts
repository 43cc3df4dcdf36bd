/**
 * The test bed's hand on the simulated AWS account: register resources, inject faults (capacity shortages, Spot
 * interruptions, errors on chosen operations), read state and call counts. The same over HTTP under /_control/
 * (see server.ts) for a standing test bed.
 */
import { z } from "zod";
import type { BootModel, BootPlan } from "./boot-model.js";
import { resolveBootModel, type BootModelInput, type BootModelSpec } from "./boot-profiles.js";
import type { CodeBuild, ProjectRecord } from "./codebuild.js";
import { OVERFLOW_BEHAVIORS } from "./codebuild-fleets.js";
import { ACCOUNT, clusterArn, type EcsState, type TaskDefinitionRecord } from "./ecs-state.js";
import type { CapacityShortage } from "./ecs.js";
import type { EcsLifecycle } from "./ecs-tasks.js";
import type { Service } from "./model.js";
import type { AwsQuotas } from "./quotas.js";
import type { Ssm } from "./ssm.js";

export const TaskDefinitionInput = z.object({
  family: z.string().min(1).max(255),
  cpuArchitecture: z.enum(["X86_64", "ARM64"]).default("X86_64"),
  cpu: z.string().default("1024"),
  memory: z.string().default("2048"),
  containerName: z.string().default("runner"),
  image: z.string().default("ghcr.io/tornade/runner:latest"),
  environment: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
  ephemeralStorageGiB: z.number().int().min(21).max(200).optional(),
  tags: z.array(z.object({ key: z.string(), value: z.string() })).default([]),
});
export type TaskDefinitionInput = z.input<typeof TaskDefinitionInput>;

export const ProjectInput = z.object({
  name: z.string().min(2).max(255),
  environmentType: z.enum(["LINUX_CONTAINER", "ARM_CONTAINER"]).default("LINUX_CONTAINER"),
  image: z.string().default("aws/codebuild/standard:7.0"),
  computeType: z.string().default("BUILD_GENERAL1_SMALL"),
  privilegedMode: z.boolean().default(false),
  environmentVariables: z.array(z.object({ name: z.string(), value: z.string(), type: z.string().default("PLAINTEXT") })).default([]),
});
export type ProjectInput = z.input<typeof ProjectInput>;

/** A CodeBuild reserved-capacity fleet (CreateFleet's members the simulator models; codebuild-fleets.ts). */
export const FleetInput = z.object({
  name: z.string().min(2).max(128),
  baseCapacity: z.number().int().min(1),
  overflowBehavior: z.enum(OVERFLOW_BEHAVIORS).default("QUEUE"),
  environmentType: z.enum(["LINUX_CONTAINER", "ARM_CONTAINER"]).default("LINUX_CONTAINER"),
  computeType: z.string().default("BUILD_GENERAL1_SMALL"),
});
export type FleetInput = z.input<typeof FleetInput>;

export const ShortageInput = z.object({
  capacityProvider: z.enum(["FARGATE", "FARGATE_SPOT"]),
  times: z.union([z.number().int().positive(), z.literal("until-cleared")]).default("until-cleared"),
});
export type ShortageInput = z.input<typeof ShortageInput>;

export const SlowProvisioningInput = z.object({
  times: z.number().int().positive(),
  extraMs: z.number().int().nonnegative(),
});
export type SlowProvisioningInput = z.input<typeof SlowProvisioningInput>;

export const FailNextInput = z.object({
  service: z.enum(["ecs", "codebuild", "ssm"]),
  operation: z.string().min(1),
  /** e.g. ThrottlingException, ServerException, InternalFailure, ServiceUnavailableException, AccessDeniedException */
  error: z.string().min(1),
  message: z.string().optional(),
  times: z.number().int().positive().default(1),
  /**
   * The call takes effect, and then its answer is lost: the error is answered instead (a 5xx after the write landed,
   * a connection cut before the answer). The SDK's retry then repeats a call that already happened.
   */
  afterApplying: z.boolean().default(false),
});
export type FailNextInput = z.input<typeof FailNextInput>;

export interface InjectedFailure {
  service: Service;
  operation: string;
  error: string;
  message: string | undefined;
  remaining: number;
  afterApplying: boolean;
}

export interface TaskSummary {
  taskArn: string;
  cluster: string;
  family: string;
  capacity: "FARGATE" | "FARGATE_SPOT";
  arch: "X86_64" | "ARM64";
  lastStatus: string;
  desiredStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  exitCode?: number;
  startedBy?: string;
  env: Record<string, string>;
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  /** The boot phases the model drew for this task. */
  boot?: BootPlan;
}

export interface BuildSummary {
  id: string;
  project: string;
  buildStatus: string;
  currentPhase: string;
  environmentType: string;
  computeType: string;
  image: string;
  privilegedMode: boolean;
  env: Record<string, string>;
  startTime: number;
  endTime?: number;
  /** The boot phases the model drew for this build. */
  boot: BootPlan;
  /** The fleet it named (fleetOverride), and whether it ran on a fleet instance or overflowed to on-demand. */
  fleet?: { readonly name: string; readonly arn: string; readonly onInstance: boolean };
}

/** A parameter as the control API shows it: never its value. */
export interface ParameterSummary {
  name: string;
  type: string;
  tier: string;
  keyArn?: string;
  version: number;
  lastModified: number;
  expiresAt?: number;
}

export interface AwsStats {
  /** Calls per "service.Operation" (e.g. "ecs.RunTask"), including refused ones. */
  calls: Record<string, number>;
  /** Error answers per "service.Operation.ErrorCode". */
  errors: Record<string, number>;
}

export class AwsControl {
  readonly failures: InjectedFailure[] = [];
  readonly counters: AwsStats = { calls: {}, errors: {} };

  constructor(
    private readonly ecs: EcsState,
    private readonly lifecycle: EcsLifecycle,
    private readonly codebuild: CodeBuild,
    private readonly quotas: AwsQuotas,
    readonly shortages: CapacityShortage[],
    private readonly now: () => number,
    private readonly ssm: Ssm,
    private readonly boot: BootModel,
  ) {}

  /** The boot model in force: profile, seed, every phase's figures per backend and architecture, image sizes. */
  bootModel(): BootModelSpec {
    return this.boot.current;
  }

  /**
   * Replaces the boot model for launches from now on (tasks and builds already started keep their plans); the draws
   * restart from the input's seed. Input: a profile ("fixed" | "published"), a seed and overrides (boot-profiles.ts);
   * a bad one throws a BootModelError naming every problem.
   */
  setBootModel(input: BootModelInput): BootModelSpec {
    const spec = resolveBootModel(input);
    this.boot.configure(spec);
    return spec;
  }

  registerCluster(name: string): { name: string; arn: string } {
    const existing = this.ecs.clusters.get(name);
    if (existing) return { ...existing };
    const c = { name, arn: clusterArn(this.ecs.region, name) };
    this.ecs.clusters.set(name, c);
    return { ...c };
  }

  /** Registers a new revision of a family; answers "family:revision" and the ARN. */
  registerTaskDefinition(input: TaskDefinitionInput): { family: string; revision: number; ref: string; arn: string } {
    const td = TaskDefinitionInput.parse(input);
    const revisions = this.ecs.taskDefinitions.get(td.family) ?? [];
    const revision = revisions.length + 1;
    const rec: TaskDefinitionRecord = {
      ...td,
      revision,
      arn: `arn:aws:ecs:${this.ecs.region}:${ACCOUNT}:task-definition/${td.family}:${revision}`,
      registeredAt: this.now(),
    };
    revisions.push(rec);
    this.ecs.taskDefinitions.set(td.family, revisions);
    return { family: td.family, revision, ref: `${td.family}:${revision}`, arn: rec.arn };
  }

  registerProject(input: ProjectInput): { name: string; arn: string } {
    const p = ProjectInput.parse(input);
    const region = this.ecs.region;
    const rec: ProjectRecord = {
      ...p,
      arn: `arn:aws:codebuild:${region}:${ACCOUNT}:project/${p.name}`,
      serviceRole: `arn:aws:iam::${ACCOUNT}:role/${p.name}-service-role`,
      timeoutInMinutes: 60,
      queuedTimeoutInMinutes: 480,
      buildCounter: this.codebuild.state.projects.get(p.name)?.buildCounter ?? 0,
    };
    this.codebuild.state.projects.set(p.name, rec);
    return { name: rec.name, arn: rec.arn };
  }

  /** Creates a reserved-capacity fleet (as CreateFleet does); StartBuild's fleetOverride names it by its ARN. */
  createFleet(input: FleetInput): { name: string; arn: string } {
    const f = this.codebuild.state.fleets.create(FleetInput.parse(input));
    return { name: f.name, arn: f.arn };
  }

  /** RunTask on this capacity answers failures[] with AWS's capacity reason, `times` calls or until cleared. */
  capacityShortage(input: ShortageInput): void {
    const s = ShortageInput.parse(input);
    this.clearCapacityShortage(s.capacityProvider);
    this.shortages.push({ capacityProvider: s.capacityProvider, remaining: s.times === "until-cleared" ? Infinity : s.times });
  }

  clearCapacityShortage(capacityProvider?: "FARGATE" | "FARGATE_SPOT"): void {
    for (let i = this.shortages.length - 1; i >= 0; i--) {
      if (!capacityProvider || this.shortages[i]?.capacityProvider === capacityProvider) this.shortages.splice(i, 1);
    }
  }

  /** The next `times` RunTask'd tasks stay PROVISIONING `extraMs` longer (slow capacity: runners up out of order). */
  slowProvisioning(input: SlowProvisioningInput): void {
    const { times, extraMs } = SlowProvisioningInput.parse(input);
    this.lifecycle.slowNext(times, extraMs);
  }

  /**
   * Spot interruption: the given FARGATE_SPOT task (or every live one) gets SIGTERM now and stops two clock minutes
   * later at the latest. Answers the ARNs interrupted.
   */
  interruptSpot(taskArn?: string): string[] {
    const out: string[] = [];
    for (const t of this.ecs.tasks.values()) {
      if (t.capacity !== "FARGATE_SPOT" || t.desiredStatus === "STOPPED") continue;
      if (taskArn && t.arn !== taskArn) continue;
      this.lifecycle.interruptSpot(t);
      out.push(t.arn);
    }
    return out;
  }

  /**
   * The task's container dies at once (SIGKILL: a crash, an OOM kill, a lost host), whatever it was doing; the task
   * stops as its essential container exited. False when there is no such task with a running container.
   */
  killContainer(taskArn: string): boolean {
    const t = this.ecs.tasks.get(taskArn.slice(taskArn.lastIndexOf("/") + 1));
    if (!t?.handle || t.lastStatus !== "RUNNING") return false;
    t.handle.signal("SIGKILL");
    return true;
  }

  /** Deletes a parameter, as someone with the rights would (a message lost on its way); false when there was none. */
  deleteParameter(name: string): boolean {
    return this.ssm.state.parameters.delete(name);
  }

  /** The next `times` calls of service.operation answer `error` (status 500 for server faults, else 400). */
  failNext(input: FailNextInput): void {
    const f = FailNextInput.parse(input);
    this.failures.push({ service: f.service, operation: f.operation, error: f.error, message: f.message, remaining: f.times, afterApplying: f.afterApplying });
  }

  /** Takes one injected failure for this call, if any is armed. */
  takeFailure(service: Service, operation: string): InjectedFailure | undefined {
    const f = this.failures.find((x) => x.service === service && x.operation === operation && x.remaining > 0);
    if (!f) return undefined;
    f.remaining--;
    if (f.remaining === 0) this.failures.splice(this.failures.indexOf(f), 1);
    return f;
  }

  listTasks(): TaskSummary[] {
    return [...this.ecs.tasks.values()].map((t) => ({
      taskArn: t.arn,
      cluster: t.cluster.name,
      family: t.taskDefinition.family,
      capacity: t.capacity,
      arch: t.taskDefinition.cpuArchitecture,
      lastStatus: t.lastStatus,
      desiredStatus: t.desiredStatus,
      stopCode: t.stopCode,
      stoppedReason: t.stoppedReason,
      exitCode: t.exitCode,
      startedBy: t.startedBy,
      env: { ...t.env },
      createdAt: t.createdAt,
      startedAt: t.startedAt,
      stoppedAt: t.stoppedAt,
      boot: t.boot,
    }));
  }

  listBuilds(): BuildSummary[] {
    return [...this.codebuild.state.builds.values()].map((b) => ({
      id: b.id,
      project: b.project.name,
      buildStatus: b.status,
      currentPhase: b.phases[b.phases.length - 1]?.phaseType ?? "SUBMITTED",
      environmentType: b.environmentType,
      computeType: b.computeType,
      image: b.image,
      privilegedMode: b.privilegedMode,
      env: Object.fromEntries(b.env.map((e) => [e.name, e.value])),
      startTime: b.startTime,
      endTime: b.endTime,
      boot: b.boot,
      ...(b.fleet ? { fleet: b.fleet } : {}),
    }));
  }

  /** Parameters Parameter Store holds now (expired ones gone), without their values. */
  listParameters(): ParameterSummary[] {
    this.ssm.expire();
    return [...this.ssm.state.parameters.values()].map((p) => ({
      name: p.name,
      type: p.type,
      tier: p.tier,
      ...(p.keyArn ? { keyArn: p.keyArn } : {}),
      version: p.version,
      lastModified: p.lastModified,
      ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}),
    }));
  }

  state() {
    return {
      tasks: this.listTasks(),
      builds: this.listBuilds(),
      parameters: this.listParameters(),
      shortages: this.shortages.map((s) => ({ capacityProvider: s.capacityProvider, remaining: Number.isFinite(s.remaining) ? s.remaining : "until-cleared" })),
      failures: this.failures.map((f) => ({ ...f })),
      quotas: {
        runTask: this.quotas.runTask.available(),
        onDemand: this.quotas.onDemand.available(),
        spot: this.quotas.spot.available(),
        parameterStore: this.quotas.parameterStore.available(),
      },
    };
  }

  stats(): AwsStats {
    return { calls: { ...this.counters.calls }, errors: { ...this.counters.errors } };
  }

  resetStats(): void {
    this.counters.calls = {};
    this.counters.errors = {};
  }

  /** Full buckets again, as for a fresh account. */
  resetQuotas(): void {
    this.quotas.reset();
  }

  count(service: Service, operation: string, error?: string): void {
    const key = `${service}.${operation}`;
    this.counters.calls[key] = (this.counters.calls[key] ?? 0) + 1;
    if (error) this.counters.errors[`${key}.${error}`] = (this.counters.errors[`${key}.${error}`] ?? 0) + 1;
  }
}
