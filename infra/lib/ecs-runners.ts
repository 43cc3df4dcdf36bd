/**
 * The Fargate side: a cluster with the FARGATE and FARGATE_SPOT capacity providers (the controller picks one per job
 * through RunTask's capacityProviderStrategy) and one runner task definition per CPU architecture.
 * The task definitions carry the default size; each launch overrides cpu, memory and ephemeral storage from the job's
 * labels (src/providers/ecs.ts), so these are only the floor the task definition must declare.
 */
import { aws_ec2 as ec2, aws_ecs as ecs, aws_iam as iam, aws_logs as logs, Duration, RemovalPolicy } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { Arch, RunnerImages } from "./runner-image.js";

/** The runner's container name; the controller's containerOverrides address it (config aws.containerName). */
export const RUNNER_CONTAINER = "runner";

export interface FargateSizeProps {
  /** vCPU, as tornade's defaults.cpu (0.25 … 16). Default 1. */
  readonly cpu?: number;
  /** Memory in MiB; must be a valid Fargate combination with cpu. Default 2048. */
  readonly memoryMiB?: number;
  /** Ephemeral storage in GiB, 21–200. Default 21 (Fargate's included storage). */
  readonly ephemeralStorageGiB?: number;
}

export interface EcsRunnersProps {
  readonly vpc: ec2.IVpc;
  readonly images: RunnerImages;
  readonly size?: FargateSizeProps;
  readonly logRetention: logs.RetentionDays;
}

export class EcsRunners extends Construct {
  readonly cluster: ecs.Cluster;
  readonly taskDefinitions: Record<Arch, ecs.FargateTaskDefinition>;
  /**
   * The role runner containers run as. Its only permissions are reading and deleting its own one-time JIT parameter
   * (runner-credentials.ts): jobs get AWS access only if you grant it.
   */
  readonly taskRole: iam.Role;
  /** The role ECS uses to pull the image and write logs. */
  readonly executionRole: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EcsRunnersProps) {
    super(scope, id);
    this.cluster = new ecs.Cluster(this, "Cluster", {
      vpc: props.vpc,
      enableFargateCapacityProviders: true,
      // Metrics are billed only while tasks emit them: an idle cluster costs nothing here.
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.taskRole = new iam.Role(this, "TaskRole", {
      assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
      description: "tornade runner containers (only their one-time JIT parameter, unless you add more)",
    });
    this.executionRole = new iam.Role(this, "ExecutionRole", {
      assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
      description: "ECS pulls tornade's runner image and writes its logs",
    });
    this.logGroup = new logs.LogGroup(this, "Logs", { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const size = props.size ?? {};
    const make = (arch: Arch) => {
      const td = new ecs.FargateTaskDefinition(this, `Runner${arch}`, {
        // Fargate counts CPU units, 1024 to the vCPU.
        cpu: Math.round((size.cpu ?? 1) * 1024),
        memoryLimitMiB: size.memoryMiB ?? 2048,
        ...(size.ephemeralStorageGiB === undefined ? {} : { ephemeralStorageGiB: size.ephemeralStorageGiB }),
        runtimePlatform: {
          cpuArchitecture: arch === "ARM64" ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
          operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        },
        taskRole: this.taskRole,
        executionRole: this.executionRole,
      });
      td.addContainer(RUNNER_CONTAINER, {
        containerName: RUNNER_CONTAINER,
        image: props.images.ecs(arch),
        essential: true,
        logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: arch.toLowerCase() }),
        // An init process reaps the job's orphaned children and passes SIGTERM on to the entrypoint.
        linuxParameters: new ecs.LinuxParameters(this, `Linux${arch}`, { initProcessEnabled: true }),
        // Fargate sends SIGTERM, then SIGKILL after this; 120 s is Fargate's maximum and the Spot notice's length
        // ("Amazon ECS task definition parameters" → stopTimeout).
        stopTimeout: Duration.seconds(120),
      });
      return td;
    };
    this.taskDefinitions = { X86_64: make("X86_64"), ARM64: make("ARM64") };
  }
}
