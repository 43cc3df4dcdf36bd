/**
 * The AWS simulator: ECS (RunTask, DescribeTasks, StopTask, ListTasks, DescribeTaskDefinition) and CodeBuild
 * (StartBuild, BatchGetBuilds, StopBuild) on one AWS JSON 1.1 endpoint that the real @aws-sdk/client-ecs and
 * @aws-sdk/client-codebuild talk to. See README.md in this folder.
 */
import type { AddressInfo } from "node:net";
import { systemClock, type Clock } from "../../src/clock/clock.js";
import { idleRuntime, type ContainerRuntime } from "../runtime.js";
import { CodeBuild, DEFAULT_CODEBUILD_DELAYS, newCodeBuildState } from "./codebuild.js";
import { AwsControl } from "./control.js";
import { newEcsState } from "./ecs-state.js";
import type { CapacityShortage } from "./ecs.js";
import { DEFAULT_ECS_DELAYS, EcsLifecycle } from "./ecs-tasks.js";
import { registerDefaults } from "./fixture.js";
import { DEFAULT_QUOTAS, EcsQuotas } from "./quotas.js";
import { createAwsServer, type RequestRecord, type ResponseRecord } from "./server.js";

export { AwsControl } from "./control.js";
export type { AwsStats, BuildSummary, TaskSummary, FailNextInput, ProjectInput, ShortageInput, TaskDefinitionInput } from "./control.js";
export { validateInput, validateOutput, models } from "./model.js";
export { CAPACITY_REASON } from "./ecs.js";
export type { RequestRecord, ResponseRecord } from "./server.js";
export { SPOT_REASON, SPOT_NOTICE_MS } from "./ecs-tasks.js";

export interface AwsSimOptions {
  clock?: Clock;
  port?: number;
  host?: string;
  region?: string;
  runtime?: ContainerRuntime;
  delays?: Partial<{ provisioningMs: number; pendingMs: number; stoppingMs: number; codebuildQueuedMs: number; codebuildProvisioningMs: number }>;
  quotas?: Partial<{ runTaskPerSecond: number; fargateBurst: number; fargateRefillPerSecond: number }>;
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
  control: AwsControl;
  close(): Promise<void>;
}

export async function startAwsSim(opts: AwsSimOptions = {}): Promise<AwsSim> {
  const clock = opts.clock ?? systemClock;
  const region = opts.region ?? "us-east-1";
  const runtime = opts.runtime ?? idleRuntime();
  const delays = { ...DEFAULT_ECS_DELAYS, ...DEFAULT_CODEBUILD_DELAYS, ...opts.delays };
  const quotas = new EcsQuotas(clock, { ...DEFAULT_QUOTAS, ...opts.quotas });
  const ecsState = newEcsState(region);
  const lifecycle = new EcsLifecycle(clock, runtime, delays);
  const codebuild = new CodeBuild(newCodeBuildState(region), clock, runtime, delays);
  const shortages: CapacityShortage[] = [];
  const control = new AwsControl(ecsState, lifecycle, codebuild, quotas, shortages, () => clock.now());
  const fixture = registerDefaults(control);
  const server = createAwsServer({
    region,
    ecs: { state: ecsState, clock, lifecycle, quotas, shortages },
    codebuild,
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
  return {
    endpoint: `http://${host}:${port}`,
    region,
    ...fixture,
    control,
    close: async () => {
      lifecycle.dispose(ecsState.tasks.values());
      codebuild.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
