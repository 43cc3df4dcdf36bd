/**
 * `tornade check`, AWS side: the ECS cluster is ACTIVE (DescribeClusters), each runner task definition exists, is for
 * Fargate, has the configured runner container and the runtimePlatform of its arch (DescribeTaskDefinition), and the
 * CodeBuild projects exist (BatchGetProjects) and their builds can be listed (ListBuildsForProject). Read-only calls with the credentials tornade runs with, so an
 * AccessDenied here is a permission tornade's role lacks. A failure says which of three things is wrong: AWS cannot
 * be reached (check/unreachable.ts), the credentials may not make the call, or the resource is missing or wrong.
 */
import { BatchGetProjectsCommand, CodeBuildClient, ListBuildsForProjectCommand } from "@aws-sdk/client-codebuild";
import { DescribeClustersCommand, DescribeTaskDefinitionCommand, ECSClient } from "@aws-sdk/client-ecs";
import type { Config } from "../config/index.js";
import { networkFailure } from "../core/network-errors.js";
import type { Arch } from "../core/types.js";
import { awsClientConfig } from "../providers/aws-client-config.js";
import { errorText, fail, pass, skip, type CheckResult } from "./result.js";
import { unreachable } from "./unreachable.js";

export interface AwsCheckOptions {
  /** Static credentials (tests); production uses the SDK's default provider chain. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Longest wait for one AWS answer (connecting, then answering), ms. */
  readonly timeoutMs: number;
}

type Service = "ECS" | "CodeBuild";

/** Where a service's calls go: the configured endpoint (a test bed, a VPC endpoint) or AWS's regional one. */
function endpointOf(service: Service, region: string, endpoint: string | undefined): string {
  return endpoint ?? `https://${service === "ECS" ? "ecs" : "codebuild"}.${region}.amazonaws.com`;
}

/** The setting that chose the URL: the endpoint override when there is one, else the region. */
const endpointSetting = (endpoint: string | undefined) =>
  endpoint ? "TORNADE_AWS_ENDPOINT (aws.endpoint; unset it to use AWS's regional endpoints)" : "TORNADE_AWS_REGION (aws.region)";

/** An error AWS gives when the caller's role lacks a permission (IAM "AccessDenied" family). */
const isAccessDenied = (e: unknown) => e instanceof Error && /AccessDenied|UnauthorizedOperation|not authorized/i.test(`${e.name} ${e.message}`);

/** The AWS SDK's answer that the resource named does not exist: ECS says "Unable to describe task definition." */
const isNotFound = (e: unknown) => e instanceof Error && /unable to describe task definition|not ?found|does not exist/i.test(`${e.name} ${e.message}`);

interface Endpoint {
  readonly service: Service;
  readonly url: string;
  readonly setting: string;
}

function failure(name: string, action: string, e: unknown, otherwise: string, endpoint: Endpoint): CheckResult {
  const network = networkFailure(e);
  if (network) return unreachable(name, `AWS (${endpoint.service})`, endpoint.url, network, endpoint.setting);
  if (isAccessDenied(e)) return fail(name, `access denied (${errorText(e)})`, `allow ${action} to tornade's IAM role (docs/operations.md lists every permission tornade needs)`);
  if (e instanceof Error && /credential/i.test(`${e.name} ${e.message}`)) {
    return fail(name, `no usable AWS credentials (${errorText(e)})`, "run with an IAM role (ECS task role, instance profile) or set AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  return fail(name, errorText(e), otherwise);
}

export async function checkAws(config: Config, opts: AwsCheckOptions): Promise<CheckResult[]> {
  const a = config.aws;
  if (!a.region) return [fail("aws: region", "not configured", "set TORNADE_AWS_REGION (or AWS_REGION) or aws.region, e.g. us-east-1")];
  // A check waits its own deadline, not serve's: an endpoint that accepts connections but never answers is unreachable.
  const client = awsClientConfig({ region: a.region, endpoint: a.endpoint, credentials: opts.credentials, maxAttempts: 2, requestTimeoutMs: opts.timeoutMs, connectionTimeoutMs: opts.timeoutMs });
  const setting = endpointSetting(a.endpoint);
  const ecsAt: Endpoint = { service: "ECS", url: endpointOf("ECS", a.region, a.endpoint), setting };
  const codebuildAt: Endpoint = { service: "CodeBuild", url: endpointOf("CodeBuild", a.region, a.endpoint), setting };
  const results: CheckResult[] = [];
  const taskDefs = taskDefinitionsByArch(config);
  if (taskDefs.length > 0) {
    const ecs = new ECSClient(client);
    try {
      const cluster = await checkCluster(ecs, a.cluster, ecsAt);
      results.push(cluster.result);
      // An ECS that cannot be reached is said once; each task definition would only say it again.
      if (!cluster.reached) results.push(...taskDefs.map(([arch, ref]) => skip(`aws: task definition ${ref} (${arch})`, "not checked: ECS cannot be reached")));
      else for (const [arch, ref, where] of taskDefs) results.push(await checkTaskDefinition(ecs, arch, ref, where, a.containerName, ecsAt));
    } finally {
      ecs.destroy();
    }
  }
  const projects = [...new Set([a.codebuild.projectX86_64, a.codebuild.projectARM64].filter((p): p is string => p !== undefined))];
  if (projects.length > 0) {
    const cb = new CodeBuildClient(client);
    try {
      results.push(...(await checkProjects(cb, projects, codebuildAt)));
    } finally {
      cb.destroy();
    }
  }
  return results;
}

/** The cluster's check, and whether ECS answered at all. */
async function checkCluster(ecs: ECSClient, cluster: string | undefined, at: Endpoint): Promise<{ result: CheckResult; reached: boolean }> {
  const name = `aws: ECS cluster ${cluster ?? "(none)"}`;
  if (!cluster) return { result: fail(name, "not configured", "set TORNADE_ECS_CLUSTER or aws.cluster"), reached: true };
  try {
    return { result: await describeCluster(ecs, cluster, name), reached: true };
  } catch (e) {
    return { result: failure(name, "ecs:DescribeClusters", e, "check aws.region and the cluster name", at), reached: networkFailure(e) === undefined };
  }
}

async function describeCluster(ecs: ECSClient, cluster: string, name: string): Promise<CheckResult> {
  const res = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
  const c = res.clusters?.[0];
  if (!c) {
    return fail(name, `not found (${res.failures?.[0]?.reason ?? "MISSING"})`, `create it (an empty cluster with the FARGATE and FARGATE_SPOT capacity providers), or set TORNADE_ECS_CLUSTER to an existing one`);
  }
  if (c.status !== "ACTIVE") return fail(name, `status ${c.status ?? "?"}`, "use an ACTIVE cluster");
  const providers = c.capacityProviders ?? [];
  // FARGATE_SPOT launches need the provider on the cluster (ECS: "Fargate capacity providers").
  const spot = providers.includes("FARGATE_SPOT") ? "" : "; FARGATE_SPOT is not among its capacity providers, runs-on=FARGATE_SPOT will fail";
  return spot
    ? fail(name, `ACTIVE${spot}`, "add the FARGATE and FARGATE_SPOT capacity providers to the cluster (PutClusterCapacityProviders)")
    : pass(name, `ACTIVE, capacity providers ${providers.join(", ")}`);
}

/** The default task definition per arch and each catalog image's, with where it was configured. */
function taskDefinitionsByArch(config: Config): Array<[Arch, string, string]> {
  const out: Array<[Arch, string, string]> = [];
  const seen = new Set<string>();
  for (const [image, entry] of Object.entries(config.images)) {
    for (const arch of ["X86_64", "ARM64"] as const) {
      const ref = entry.taskDefinitions[arch];
      if (!ref || seen.has(`${arch} ${ref}`)) continue;
      seen.add(`${arch} ${ref}`);
      out.push([arch, ref, image === "default" ? `aws.taskDefinitions.${arch}` : `images.${image}.taskDefinitions.${arch}`]);
    }
  }
  return out;
}

async function checkTaskDefinition(ecs: ECSClient, arch: Arch, ref: string, where: string, container: string, at: Endpoint): Promise<CheckResult> {
  const name = `aws: task definition ${ref} (${arch})`;
  try {
    const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }))).taskDefinition;
    if (!td) return fail(name, "not found", `register it, or correct ${where}`);
    // runtimePlatform.cpuArchitecture defaults to X86_64 when absent (task definition parameters → "Runtime platform").
    const tdArch = td.runtimePlatform?.cpuArchitecture ?? "X86_64";
    if (tdArch !== arch) return fail(name, `its runtimePlatform.cpuArchitecture is ${tdArch}`, `set ${where} to a task definition with cpuArchitecture ${arch}`);
    if (!(td.requiresCompatibilities ?? []).includes("FARGATE")) return fail(name, "not registered for Fargate", "register it with requiresCompatibilities FARGATE and networkMode awsvpc");
    if (!(td.containerDefinitions ?? []).some((c) => c.name === container)) {
      return fail(name, `has no container named "${container}" (the runner's JIT config is passed to it)`, `name the runner container "${container}" or set TORNADE_CONTAINER_NAME / aws.containerName`);
    }
    return pass(name, `${td.family}:${td.revision}, ${tdArch}, ${td.cpu ?? "?"} CPU units / ${td.memory ?? "?"} MiB, container ${container}`);
  } catch (e) {
    if (isNotFound(e) && !isAccessDenied(e)) return fail(name, `not found (${errorText(e)})`, `register it, or correct ${where}`);
    return failure(name, "ecs:DescribeTaskDefinition", e, `check the reference in ${where} (family:revision or ARN)`, at);
  }
}

async function checkProjects(cb: CodeBuildClient, projects: string[], at: Endpoint): Promise<CheckResult[]> {
  try {
    const res = await cb.send(new BatchGetProjectsCommand({ names: projects }));
    const missing = new Set(res.projectsNotFound ?? []);
    const results: CheckResult[] = [];
    for (const p of projects) {
      const found = res.projects?.find((x) => x.name === p || x.arn === p);
      const name = `aws: CodeBuild project ${p}`;
      if (missing.has(p) || !found) {
        results.push(fail(name, "not found", "create it (tornade overrides its environment per arch), or correct aws.codebuild.projectX86_64 / projectARM64"));
        continue;
      }
      try {
        // What finds a build whose StartBuild answer was lost (providers/codebuild.ts findLaunch): without it such a
        // build is taken as not found and runs until its own timeout.
        await cb.send(new ListBuildsForProjectCommand({ projectName: found.name ?? p }));
      } catch (e) {
        results.push(failure(name, "codebuild:ListBuildsForProject", e, "check aws.region and the project name", at));
        continue;
      }
      results.push(pass(name, `${found.environment?.type ?? "?"}, ${found.environment?.computeType ?? "?"}${found.environment?.privilegedMode ? ", privileged (Docker)" : ""}`));
    }
    return results;
  } catch (e) {
    return [failure(`aws: CodeBuild projects ${projects.join(", ")}`, "codebuild:BatchGetProjects", e, "check aws.region and the project names", at)];
  }
}
