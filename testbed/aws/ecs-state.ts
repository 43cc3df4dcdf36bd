/** The simulated ECS account: clusters, task definitions and tasks, as plain records the handlers and control share. */
import type { ContainerHandle } from "../runtime.js";
import type { BootPlan } from "./boot-model.js";

export const ACCOUNT = "123456789012";

export interface ClusterRecord {
  name: string;
  arn: string;
}

export interface TaskDefinitionRecord {
  family: string;
  revision: number;
  arn: string;
  cpu: string;
  memory: string;
  cpuArchitecture: "X86_64" | "ARM64";
  containerName: string;
  image: string;
  environment: { name: string; value: string }[];
  ephemeralStorageGiB?: number;
  registeredAt: number;
  tags: { key: string; value: string }[];
}

export type TaskStatus = "PROVISIONING" | "PENDING" | "ACTIVATING" | "RUNNING" | "DEACTIVATING" | "STOPPING" | "DEPROVISIONING" | "STOPPED";

export interface TaskRecord {
  arn: string;
  id: string;
  cluster: ClusterRecord;
  taskDefinition: TaskDefinitionRecord;
  capacityProviderName?: "FARGATE" | "FARGATE_SPOT";
  /** FARGATE or FARGATE_SPOT whichever way the task was asked for (launchType FARGATE = on-demand). */
  capacity: "FARGATE" | "FARGATE_SPOT";
  cpu: string;
  memory: string;
  ephemeralStorageGiB: number;
  env: Record<string, string>;
  overrides: unknown;
  lastStatus: TaskStatus;
  desiredStatus: "RUNNING" | "STOPPED";
  createdAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  executionStoppedAt?: number;
  stopCode?: "TaskFailedToStart" | "EssentialContainerExited" | "UserInitiated" | "ServiceSchedulerInitiated" | "SpotInterruption" | "TerminationNotice";
  stoppedReason?: string;
  exitCode?: number;
  containerReason?: string;
  startedBy?: string;
  group: string;
  tags: { key: string; value: string }[];
  availabilityZone: string;
  subnet: string;
  privateIp: string;
  version: number;
  /** How long this task's boot phases take (boot-model.ts), drawn when it was created. */
  boot?: BootPlan;
  /** Set while the runtime runs the container. */
  handle?: ContainerHandle;
  /** Pending lifecycle timer (provisioning, pending, kill-after-notice, deprovisioning). */
  timer?: { cancel(): void };
}

export interface EcsState {
  region: string;
  clusters: Map<string, ClusterRecord>;
  /** family → revisions (index = revision - 1) */
  taskDefinitions: Map<string, TaskDefinitionRecord[]>;
  /** by task id (the last part of the ARN) */
  tasks: Map<string, TaskRecord>;
  /** clientToken → what the first call launched, to answer a repeat with the same tasks. */
  clientTokens: Map<string, { fingerprint: string; taskArns: string[] }>;
}

export function newEcsState(region: string): EcsState {
  return { region, clusters: new Map(), taskDefinitions: new Map(), tasks: new Map(), clientTokens: new Map() };
}

export function clusterArn(region: string, name: string): string {
  return `arn:aws:ecs:${region}:${ACCOUNT}:cluster/${name}`;
}

/** A cluster by short name or ARN. */
export function findCluster(state: EcsState, ref: string | undefined): ClusterRecord | undefined {
  const name = ref ?? "default";
  const short = name.startsWith("arn:") ? name.slice(name.lastIndexOf("/") + 1) : name;
  const c = state.clusters.get(short);
  return c && (name === c.name || name === c.arn) ? c : undefined;
}

/** A task definition by family (latest ACTIVE revision), family:revision, or full ARN. */
export function findTaskDefinition(state: EcsState, ref: string): TaskDefinitionRecord | undefined {
  let spec = ref;
  if (ref.startsWith("arn:")) {
    const m = /^arn:aws:ecs:([^:]+):(\d+):task-definition\/(.+)$/.exec(ref);
    if (!m || m[1] !== state.region || m[2] !== ACCOUNT) return undefined;
    spec = m[3] ?? "";
  }
  const [family, rev] = spec.split(":");
  const revisions = state.taskDefinitions.get(family ?? "");
  if (!revisions?.length) return undefined;
  if (rev === undefined) return revisions[revisions.length - 1];
  if (!/^\d+$/.test(rev)) return undefined;
  return revisions[Number(rev) - 1];
}

/** A task by ARN or by its id (ECS accepts either in DescribeTasks / StopTask). */
export function findTask(state: EcsState, cluster: ClusterRecord, ref: string): TaskRecord | undefined {
  const id = ref.startsWith("arn:") ? ref.slice(ref.lastIndexOf("/") + 1) : ref;
  const t = state.tasks.get(id);
  return t && t.cluster === cluster && (ref === id || ref === t.arn) ? t : undefined;
}
