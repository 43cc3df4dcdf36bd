/**
 * ECS operations (AWS docs: Amazon ECS API Reference, RunTask / DescribeTasks / StopTask / ListTasks / DescribeClusters /
 * DescribeTaskDefinition). Bodies arrive already checked against the model (model.ts); this file adds what the
 * service checks beyond the model, with the error codes the reference lists for each operation.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../../src/clock/clock.js";
import { ACCOUNT, findCluster, findTask, findTaskDefinition, type EcsState, type TaskRecord } from "./ecs-state.js";
import { taskToApi, type EcsLifecycle } from "./ecs-tasks.js";
import { EPHEMERAL_MAX_GIB, EPHEMERAL_MIN_GIB, fargateSizeProblem, parseCpu, parseMemory } from "./fargate.js";
import { AwsError, epochSeconds } from "./protocol.js";
import type { AwsQuotas } from "./quotas.js";

type Body = Record<string, unknown>;

/** AWS's text for a Fargate capacity shortage in RunTask `failures[]` (seen in RunTask answers; see the issue text). */
export const CAPACITY_REASON = "Capacity is unavailable at this time. Please try again later or in a different availability zone";

/** RunTask's limit on the container overrides, JSON formatting included. */
export const CONTAINER_OVERRIDES_MAX = 8192;

export interface CapacityShortage {
  capacityProvider: "FARGATE" | "FARGATE_SPOT";
  /** Calls still to fail; Infinity = until cleared. */
  remaining: number;
}

export interface EcsDeps {
  state: EcsState;
  clock: Clock;
  lifecycle: EcsLifecycle;
  quotas: AwsQuotas;
  shortages: CapacityShortage[];
}

const invalid = (msg: string) => new AwsError("InvalidParameterException", msg);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const rec = (v: unknown): Body | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Body) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function cluster(deps: EcsDeps, body: Body) {
  const c = findCluster(deps.state, str(body.cluster));
  if (!c) throw new AwsError("ClusterNotFoundException", "Cluster not found.");
  return c;
}

/** Stable fingerprint of a request's parameters for clientToken comparison (key order does not matter). */
function fingerprint(body: Body): string {
  const norm = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(norm) : rec(v) ? Object.fromEntries(Object.keys(v as Body).sort().map((k) => [k, norm((v as Body)[k])])) : v;
  const { clientToken: _ignored, ...rest } = body;
  return createHash("sha256").update(JSON.stringify(norm(rest))).digest("hex");
}

/** Which Fargate capacity the request asks for: launchType FARGATE or a FARGATE / FARGATE_SPOT strategy. */
function capacityOf(body: Body): { capacity: "FARGATE" | "FARGATE_SPOT"; viaProvider: boolean } {
  const strategy = arr(body.capacityProviderStrategy);
  const launchType = str(body.launchType);
  // RunTask reference: "If a capacityProviderStrategy is specified, the launchType parameter must be omitted."
  if (strategy.length && launchType) {
    throw invalid("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.");
  }
  if (strategy.length) {
    const usable = strategy.map(rec).filter((s): s is Body => !!s);
    for (const s of usable) {
      const p = str(s.capacityProvider);
      if (p !== "FARGATE" && p !== "FARGATE_SPOT") throw invalid(`The specified capacity provider ${p ?? ""} is not in the cluster's capacity providers.`);
      const w = s.weight;
      if (typeof w === "number" && (w < 0 || w > 1000)) throw invalid("Capacity provider strategy weight must be between 0 and 1000.");
    }
    // Base first, then the highest weight; a single-provider strategy (what tornade sends) is exact.
    const chosen = usable.find((s) => typeof s.base === "number" && s.base > 0) ?? [...usable].sort((a, b) => Number(b.weight ?? 0) - Number(a.weight ?? 0))[0];
    if (usable.length > 1 && usable.every((s) => Number(s.weight ?? 0) === 0)) {
      throw invalid("At least one capacity provider in a capacity provider strategy must have a weight greater than zero.");
    }
    return { capacity: str(chosen?.capacityProvider) === "FARGATE_SPOT" ? "FARGATE_SPOT" : "FARGATE", viaProvider: true };
  }
  if (launchType === undefined) throw invalid("No launch type or capacity provider strategy given; this simulated cluster has no default capacity provider strategy.");
  if (launchType !== "FARGATE") throw invalid(`Launch type ${launchType} is not supported by this Fargate-only simulator.`);
  return { capacity: "FARGATE", viaProvider: false };
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

export function runTask(deps: EcsDeps, body: Body): Body {
  const { state, clock, lifecycle, quotas } = deps;
  // Fargate throttling quotas: each RunTask call takes a token from the per-account RunTask bucket.
  if (!quotas.runTask.take()) throw new AwsError("ThrottlingException", "Rate exceeded");
  const c = cluster(deps, body);
  const count = typeof body.count === "number" ? body.count : 1;
  if (count < 1 || count > 10) throw invalid("Count must be between 1 and 10."); // RunTask reference: "Valid values: 1-10"
  const token = str(body.clientToken);
  if (token !== undefined && (token.length < 1 || token.length > 64)) throw invalid("clientToken must be between 1 and 64 characters."); // "Up to 64 characters are allowed."
  const startedBy = str(body.startedBy);
  if (startedBy !== undefined && startedBy.length > 128) throw invalid("startedBy can be up to 128 characters.");

  const tdRef = str(body.taskDefinition) ?? "";
  const td = findTaskDefinition(state, tdRef);
  if (!td) throw new AwsError("ClientException", "Unable to describe task definition.");
  const { capacity, viaProvider } = capacityOf(body);

  // Fargate requires awsvpc (task definition parameters: "network mode ... Fargate requires awsvpc"), so RunTask
  // needs networkConfiguration.awsvpcConfiguration with subnets.
  const vpc = rec(rec(body.networkConfiguration)?.awsvpcConfiguration);
  if (!vpc) throw invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  const subnets = arr(vpc.subnets).filter((s): s is string => typeof s === "string");
  if (!subnets.length) throw invalid("subnets can not be empty.");
  if (subnets.length > 16) throw invalid("subnets can have at most 16 items.");
  if (arr(vpc.securityGroups).length > 5) throw invalid("securityGroups can have at most 5 items.");

  // Overrides: task cpu/memory must be a valid Fargate pair; ephemeral storage 21..200 GiB.
  const ov = rec(body.overrides);
  const cpu = str(ov?.cpu) ?? td.cpu;
  const memory = str(ov?.memory) ?? td.memory;
  const cpuN = parseCpu(cpu);
  const memN = parseMemory(memory);
  if (cpuN === undefined || memN === undefined) throw invalid(`Invalid cpu or memory value: ${cpu} CPU, ${memory} memory.`);
  const sizeProblem = fargateSizeProblem(cpuN, memN);
  if (sizeProblem) throw new AwsError("ClientException", sizeProblem);
  const storage = rec(ov?.ephemeralStorage);
  const disk = typeof storage?.sizeInGiB === "number" ? storage.sizeInGiB : (td.ephemeralStorageGiB ?? 20);
  if (storage && (disk < EPHEMERAL_MIN_GIB || disk > EPHEMERAL_MAX_GIB)) {
    throw invalid(`The ephemeral storage size must be between ${EPHEMERAL_MIN_GIB} and ${EPHEMERAL_MAX_GIB} GiB.`);
  }
  // RunTask reference, TaskOverride: "A total of 8192 characters are allowed for overrides. This limit includes the
  // JSON formatting characters of the override structure." ECS answers "Container Overrides length must be at most 8192".
  if (JSON.stringify(arr(ov?.containerOverrides)).length > CONTAINER_OVERRIDES_MAX) {
    throw invalid(`Container Overrides length must be at most ${CONTAINER_OVERRIDES_MAX}`);
  }
  const env: Record<string, string> = Object.fromEntries(td.environment.map((e) => [e.name, e.value]));
  for (const co of arr(ov?.containerOverrides).map(rec)) {
    if (!co) continue;
    if (str(co.name) !== td.containerName) throw invalid(`Override for container named ${str(co.name) ?? "(none)"} is not a container in the TaskDefinition.`);
    for (const e of arr(co.environment).map(rec)) {
      const n = str(e?.name);
      if (n !== undefined) env[n] = str(e?.value) ?? "";
    }
  }
  const tags = arr(body.tags).map(rec).filter((t): t is Body => !!t).map((t) => ({ key: str(t.key) ?? "", value: str(t.value) ?? "" }));
  if (tags.length > 50) throw invalid("Tags can have at most 50 items."); // "Maximum number of tags per resource - 50"
  for (const t of tags) if (t.key.toLowerCase().startsWith("aws:")) throw invalid("Tag keys starting with 'aws:' are reserved.");

  // clientToken idempotency: the same token and parameters answer the first call's tasks and launch nothing.
  if (token !== undefined) {
    const seen = state.clientTokens.get(token);
    const fp = fingerprint(body);
    if (seen) {
      if (seen.fingerprint !== fp) throw invalid("The specified client token has already been used in a different request with different parameters.");
      return {
        tasks: seen.taskArns.map((arn) => state.tasks.get(arn.slice(arn.lastIndexOf("/") + 1))).filter((t): t is TaskRecord => !!t).map((t) => taskToApi(t, state.region, false)),
        failures: [],
      };
    }
  }

  const shortage = deps.shortages.find((s) => s.capacityProvider === capacity && s.remaining > 0);
  if (shortage) {
    shortage.remaining--;
    return { tasks: [], failures: Array.from({ length: count }, () => ({ reason: CAPACITY_REASON })) };
  }
  if (!quotas.launchBucket(capacity).take(count)) throw new AwsError("ThrottlingException", "Rate exceeded");

  const now = clock.now();
  const tasks: TaskRecord[] = [];
  for (let i = 0; i < count; i++) {
    const id = hex(16);
    const subnet = subnets[Math.floor(Math.random() * subnets.length)] ?? "subnet-0";
    const task: TaskRecord = {
      arn: `arn:aws:ecs:${state.region}:${ACCOUNT}:task/${c.name}/${id}`,
      id,
      cluster: c,
      taskDefinition: td,
      capacityProviderName: viaProvider ? capacity : undefined,
      capacity,
      cpu: String(cpuN),
      memory: String(memN),
      ephemeralStorageGiB: disk,
      env,
      overrides: ov ? { containerOverrides: arr(ov.containerOverrides), inferenceAcceleratorOverrides: [], ...pick(ov, ["cpu", "memory", "ephemeralStorage"]) } : undefined,
      lastStatus: "PROVISIONING",
      desiredStatus: "RUNNING",
      createdAt: now,
      startedBy,
      group: str(body.group) ?? `family:${td.family}`,
      tags,
      availabilityZone: `${state.region}${"abc"[subnets.indexOf(subnet) % 3]}`,
      subnet,
      privateIp: `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 2}`,
      version: 1,
    };
    state.tasks.set(id, task);
    tasks.push(task);
    lifecycle.begin(task);
  }
  if (token !== undefined) state.clientTokens.set(token, { fingerprint: fingerprint(body), taskArns: tasks.map((t) => t.arn) });
  return { tasks: tasks.map((t) => taskToApi(t, state.region, false)), failures: [] };
}

function pick(o: Body, keys: string[]): Body {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

export function describeTasks(deps: EcsDeps, body: Body): Body {
  const c = cluster(deps, body);
  const refs = arr(body.tasks).filter((t): t is string => typeof t === "string");
  if (refs.length > 100) throw invalid("Tasks cannot have more than 100 elements."); // DescribeTasks: up to 100 tasks
  if (!refs.length) throw invalid("Tasks cannot be empty.");
  const withTags = arr(body.include).includes("TAGS");
  const tasks: Body[] = [];
  const failures: Body[] = [];
  for (const ref of refs) {
    const t = findTask(deps.state, c, ref);
    if (t) tasks.push(taskToApi(t, deps.state.region, withTags));
    else failures.push({ arn: ref, reason: "MISSING" });
  }
  return { tasks, failures };
}

export function stopTask(deps: EcsDeps, body: Body): Body {
  const c = cluster(deps, body);
  const ref = str(body.task) ?? "";
  const t = findTask(deps.state, c, ref);
  if (!t) throw invalid("The referenced task was not found.");
  const reason = str(body.reason);
  if (reason !== undefined && reason.length > 255) throw invalid("Reason can be up to 255 characters."); // StopTask: "Up to 255 characters are allowed"
  deps.lifecycle.stop(t, "UserInitiated", reason ?? "Task stopped by user");
  return { task: taskToApi(t, deps.state.region, false) };
}

export function listTasks(deps: EcsDeps, body: Body): Body {
  const c = cluster(deps, body);
  const desired = str(body.desiredStatus) ?? "RUNNING";
  const family = str(body.family);
  const startedBy = str(body.startedBy);
  const launchType = str(body.launchType);
  const max = typeof body.maxResults === "number" ? body.maxResults : 100;
  if (max < 1 || max > 100) throw invalid("maxResults must be between 1 and 100."); // ListTasks: "1 and 100"
  const all = [...deps.state.tasks.values()]
    .filter((t) => t.cluster === c && t.desiredStatus === desired)
    .filter((t) => !family || t.taskDefinition.family === family)
    .filter((t) => !startedBy || t.startedBy === startedBy)
    .filter((t) => !launchType || launchType === "FARGATE")
    .map((t) => t.arn);
  const start = str(body.nextToken) ? Number.parseInt(Buffer.from(str(body.nextToken) ?? "", "base64").toString("utf8"), 10) : 0;
  if (!Number.isFinite(start) || start < 0) throw invalid("Invalid nextToken.");
  const page = all.slice(start, start + max);
  const out: Body = { taskArns: page };
  if (start + max < all.length) out.nextToken = Buffer.from(String(start + max)).toString("base64");
  return out;
}

export function describeTaskDefinition(deps: EcsDeps, body: Body): Body {
  const td = findTaskDefinition(deps.state, str(body.taskDefinition) ?? "");
  if (!td) throw new AwsError("ClientException", "Unable to describe task definition.");
  const withTags = arr(body.include).includes("TAGS");
  return {
    taskDefinition: {
      taskDefinitionArn: td.arn,
      family: td.family,
      revision: td.revision,
      status: "ACTIVE",
      networkMode: "awsvpc",
      cpu: td.cpu,
      memory: td.memory,
      requiresCompatibilities: ["FARGATE"],
      compatibilities: ["EC2", "FARGATE"],
      runtimePlatform: { cpuArchitecture: td.cpuArchitecture, operatingSystemFamily: "LINUX" },
      containerDefinitions: [{ name: td.containerName, image: td.image, essential: true, environment: td.environment }],
      ...(td.ephemeralStorageGiB ? { ephemeralStorage: { sizeInGiB: td.ephemeralStorageGiB } } : {}),
      registeredAt: epochSeconds(td.registeredAt),
    },
    ...(withTags ? { tags: td.tags } : {}),
  };
}

/**
 * DescribeClusters (ECS API Reference): up to 100 clusters by name or ARN, "default" when none is named; a cluster
 * that does not exist is not an error but a `failures[]` entry with reason "MISSING" and the ARN it would have.
 */
export function describeClusters(deps: EcsDeps, body: Body): Body {
  const refs = arr(body.clusters).filter((c): c is string => typeof c === "string");
  if (refs.length > 100) throw invalid("clusters can have at most 100 items.");
  const { state } = deps;
  const clusters: Body[] = [];
  const failures: Body[] = [];
  for (const ref of refs.length ? refs : ["default"]) {
    const c = findCluster(state, ref);
    if (!c) {
      const name = ref.startsWith("arn:") ? ref.slice(ref.lastIndexOf("/") + 1) : ref;
      failures.push({ arn: ref.startsWith("arn:") ? ref : `arn:aws:ecs:${state.region}:${ACCOUNT}:cluster/${name}`, reason: "MISSING" });
      continue;
    }
    const tasks = [...state.tasks.values()].filter((t) => t.cluster === c);
    clusters.push({
      clusterArn: c.arn,
      clusterName: c.name,
      status: "ACTIVE",
      registeredContainerInstancesCount: 0,
      runningTasksCount: tasks.filter((t) => t.lastStatus === "RUNNING").length,
      pendingTasksCount: tasks.filter((t) => ["PROVISIONING", "PENDING", "ACTIVATING"].includes(t.lastStatus)).length,
      activeServicesCount: 0,
      statistics: [],
      tags: [],
      settings: [],
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: [],
    });
  }
  return { clusters, failures };
}

export const ECS_OPERATIONS: Record<string, (deps: EcsDeps, body: Body) => Body> = {
  DescribeClusters: describeClusters,
  RunTask: runTask,
  DescribeTasks: describeTasks,
  StopTask: stopTask,
  ListTasks: listTasks,
  DescribeTaskDefinition: describeTaskDefinition,
};
