/**
 * The AWS simulator: ECS (RunTask, DescribeTasks, StopTask, ListTasks, DescribeTaskDefinition), CodeBuild
 * (StartBuild, BatchGetBuilds, StopBuild, BatchGetProjects, ListBuildsForProject) and SSM Parameter Store (PutParameter, GetParameter(s), GetParametersByPath,
 * DeleteParameter(s)) on one AWS JSON 1.1 endpoint that the real AWS SDK v3 clients talk to. See README.md here.
 */
import type { AddressInfo } from "node:net";
import { systemClock, type Clock } from "../../src/clock/clock.js";
import { DEFAULT_JIT_KMS_KEY, DEFAULT_JIT_PARAMETER_PREFIX } from "../../src/core/runner-env.js";
import { idleRuntime, type ContainerRuntime } from "../runtime.js";
import { BootModel } from "./boot-model.js";
import { resolveBootModel, type BootModelInput } from "./boot-profiles.js";
import { CodeBuild, newCodeBuildState } from "./codebuild.js";
import { AwsControl } from "./control.js";
import { newEcsState } from "./ecs-state.js";
import type { CapacityShortage } from "./ecs.js";
import { EcsLifecycle } from "./ecs-tasks.js";
import { registerDefaults } from "./fixture.js";
import { DEFAULT_QUOTAS, AwsQuotas } from "./quotas.js";
import { ACCOUNT } from "./ecs-state.js";
import { READER_CREDENTIALS, RUNNER_CREDENTIALS, type StaticCredentials } from "./iam.js";
import { KmsKeys } from "./kms.js";
import { createAwsServer, type RequestRecord, type ResponseRecord } from "./server.js";
import { Ssm } from "./ssm.js";

export { AwsControl } from "./control.js";
export type { AwsStats, BuildSummary, ParameterSummary, TaskSummary, FailNextInput, ProjectInput, ShortageInput, TaskDefinitionInput } from "./control.js";
export { READER_CREDENTIALS, RUNNER_CREDENTIALS, type StaticCredentials } from "./iam.js";
export { validateInput, validateOutput, models } from "./model.js";
export { CAPACITY_REASON } from "./ecs.js";
export type { RequestRecord, ResponseRecord } from "./server.js";
export { SPOT_REASON, SPOT_NOTICE_MS } from "./ecs-tasks.js";
export { BootModel, bootQuantiles, type BootPlan, type BootRequest } from "./boot-model.js";
export { BOOT_PROFILES, BootModelError, resolveBootModel, type BootModelInput, type BootModelSpec } from "./boot-profiles.js";

export interface AwsSimOptions {
  clock?: Clock;
  port?: number;
  host?: string;
  region?: string;
  runtime?: ContainerRuntime;
  /**
   * How long launches take to boot (boot-model.ts): a profile — "fixed" (default: the test bed's constant ~30 s to
   * RUNNING) or "published" (drawn from AWS's and the anchors' published figures) — a seed, and overrides per phase,
   * backend, architecture and image size. Changeable later through control.setBootModel.
   */
  boot?: BootModelInput;
  quotas?: Partial<{ runTaskPerSecond: number; fargateBurst: number; fargateRefillPerSecond: number; parameterStorePerSecond: number }>;
  /** The prefix under which the runner role may read and delete parameters; default tornade's. */
  runnerParameterPrefix?: string;
  onRequest?: (r: RequestRecord) => void;
  /** Every successful answer (tests validate these against the output model). */
  onResponse?: (r: ResponseRecord) => void;
}

export interface AwsSim {
  endpoint: string;
  region: string;
  cluster: string;
  taskDefinitions: { X86_64: string; ARM64: string };
  codebuildProject: string;
  subnets: string[];
  securityGroups: string[];
  /** Where the runner role may read and delete parameters, and the key only it may decrypt (tornade's defaults). */
  jitParameterPrefix: string;
  jitKmsKey: string;
  /** The runner role's keys (what containers get) and a ReadOnlyAccess principal's, for tests acting as either. */
  runnerCredentials: StaticCredentials;
  readerCredentials: StaticCredentials;
  control: AwsControl;
  close(): Promise<void>;
}

export async function startAwsSim(opts: AwsSimOptions = {}): Promise<AwsSim> {
  const clock = opts.clock ?? systemClock;
  const region = opts.region ?? "us-east-1";
  const boot = new BootModel(resolveBootModel(opts.boot));
  const quotas = new AwsQuotas(clock, { ...DEFAULT_QUOTAS, ...opts.quotas });
  const prefix = opts.runnerParameterPrefix ?? DEFAULT_JIT_PARAMETER_PREFIX;
  const auth = { runnerParameterArnPrefix: `arn:aws:ssm:${region}:${ACCOUNT}:parameter${prefix}` };
  // Every container runs as the runner role, reaching this endpoint: the environment ECS and CodeBuild give a
  // container (AWS_REGION, AWS_DEFAULT_REGION; credentials, here as keys instead of a credentials endpoint), plus the
  // SDK's and CLI's endpoint override. Known once the server listens.
  const containerAws: Record<string, string> = {};
  const inner = opts.runtime ?? idleRuntime();
  const runtime: ContainerRuntime = { start: (spec, onExit) => inner.start({ ...spec, env: { ...spec.env, ...containerAws } }, onExit) };
  const ecsState = newEcsState(region);
  const lifecycle = new EcsLifecycle(clock, runtime, boot);
  const counted: { control?: AwsControl } = {};
  const ssm = new Ssm({ region, parameters: new Map(), keys: KmsKeys.withDefaults(region) }, clock, quotas.parameterStore, auth, (op, error) =>
    counted.control?.count("ssm", op, error),
  );
  const codebuild = new CodeBuild(newCodeBuildState(region), clock, runtime, boot, ssm);
  const shortages: CapacityShortage[] = [];
  const control = new AwsControl(ecsState, lifecycle, codebuild, quotas, shortages, () => clock.now(), ssm, boot);
  counted.control = control;
  const fixture = registerDefaults(control);
  const server = createAwsServer({
    region,
    ecs: { state: ecsState, clock, lifecycle, quotas, shortages },
    codebuild,
    ssm,
    auth,
    control,
    onRequest: opts.onRequest,
    onResponse: opts.onResponse,
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host}:${port}`;
  Object.assign(containerAws, {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: RUNNER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: RUNNER_CREDENTIALS.secretAccessKey,
  });
  return {
    endpoint,
    region,
    ...fixture,
    jitParameterPrefix: prefix,
    jitKmsKey: DEFAULT_JIT_KMS_KEY,
    runnerCredentials: RUNNER_CREDENTIALS,
    readerCredentials: READER_CREDENTIALS,
    control,
    close: async () => {
      lifecycle.dispose(ecsState.tasks.values());
      codebuild.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
