/**
 * The scale-set intake's controller: `tornade serve` as an ECS Fargate service in the runners' cluster, holding one
 * outbound message session per scale set (docs/scale-sets.md), on the construct's table and work queue. Nothing
 * reaches it: no load balancer, no port mapping, a security group with no inbound rule whose only egress is HTTPS
 * (GitHub, the Actions service, AWS's APIs). With the webhook intake off the deployment has no public endpoint at all.
 *
 * It runs scale sets only (TORNADE_INTAKE=scale-sets, so it needs no webhook secret); the webhook function, when on,
 * keeps taking webhooks. It is also the one reconciler of the work queue: a scale set's runner is registered through
 * the scale set (its generatejitconfig), which only a controller that has found its scale sets can do, so the
 * construct deploys no worker function beside it (tornade-runners.ts). Several replicas are safe: a lease per scale
 * set in the table lets one hold each session, and the work queue's items are claimed one consumer at a time.
 *
 * Secrets: the App's private key reaches the container as SECRET_KEY_PEM through ECS's `secrets` (Secrets Manager,
 * read by the task execution role when the task starts): never in the task definition, the environment it lists, or
 * argv.
 */
import { aws_ec2 as ec2, aws_ecr as ecr, aws_ecs as ecs, aws_ecr_assets as assets, aws_logs as logs, aws_secretsmanager as sm, Duration, RemovalPolicy } from "aws-cdk-lib";
import { Construct } from "constructs";
import { fileURLToPath } from "node:url";
import { environmentOf, SECRET_VALUE_ENV } from "./controller-env.js";
import { tornadeVersion } from "./tornade-package.js";

export type ControllerImageSource =
  /** Build controller-image/ during `cdk deploy`: tornade from npm at the installed version (default). */
  | { readonly kind: "asset" }
  /** An image you pushed (e.g. built from tornade's own Dockerfile); it must have a linux/arm64 variant. */
  | { readonly kind: "ecr"; readonly repository: ecr.IRepository; readonly tagOrDigest: string };

/** The controller's container name. */
export const CONTROLLER_CONTAINER = "tornade";
/** `tornade serve`'s public port: GET /healthz only with the scale-set intake. */
const HEALTH_PORT = 8080;

export interface ScaleSetServiceProps {
  readonly cluster: ecs.ICluster;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly assignPublicIp: boolean;
  /** tornade's configuration: the construct's controller environment plus the scale-set intake's (no secret). */
  readonly environment: Readonly<Record<string, string>>;
  readonly privateKeySecret: sm.ISecret;
  readonly image: ControllerImageSource;
  readonly replicas: number;
  /** Ports besides 443 the controller must reach (a GitHub Enterprise Server on another port). */
  readonly extraEgressPorts: readonly number[];
  readonly logRetention: logs.RetentionDays;
}

export class ScaleSetService extends Construct {
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ScaleSetServiceProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, "Logs", { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    // 0.25 vCPU / 512 MiB on Graviton: the controller waits on the network (long polls) nearly all the time.
    this.taskDefinition = new ecs.FargateTaskDefinition(this, "Task", {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.taskDefinition.addContainer(CONTROLLER_CONTAINER, {
      containerName: CONTROLLER_CONTAINER,
      image: containerImage(props.image),
      // The port its health check asks, whatever the image's default.
      environment: { ...props.environment, ...environmentOf({ "server.port": HEALTH_PORT }) },
      secrets: { [SECRET_VALUE_ENV.privateKey]: ecs.Secret.fromSecretsManager(props.privateKeySecret) },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: "tornade" }),
      // ECS does not run the image's HEALTHCHECK; the same check, on the container's own loopback.
      healthCheck: {
        command: ["CMD", "node", "-e", `fetch('http://127.0.0.1:${HEALTH_PORT}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        startPeriod: Duration.seconds(30),
        retries: 3,
      },
      // SIGTERM aborts the held polls, closes the sessions and releases the leases, so another replica takes over at
      // once rather than when the lease lapses; 30 s covers the closes (each a DELETE).
      stopTimeout: Duration.seconds(30),
    });
    this.securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", {
      vpc: props.vpc,
      description: "tornade scale-set controller: no inbound at all; outbound HTTPS to GitHub and AWS APIs",
      allowAllOutbound: false,
    });
    for (const port of [443, ...props.extraEgressPorts]) {
      this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), port === 443 ? "HTTPS: GitHub, the Actions service, AWS APIs" : "GitHub (github.baseUrl's port)");
    }
    this.service = new ecs.FargateService(this, "Service", {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.replicas,
      securityGroups: [this.securityGroup],
      vpcSubnets: props.subnets,
      // In the new VPC's public subnets (no NAT gateway) the public IP is the only way out; the security group lets
      // nothing in through it.
      assignPublicIp: props.assignPublicIp,
      // A deploy starts the new task before the old one stops; the lease hands each session over.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
  }
}

function containerImage(source: ControllerImageSource): ecs.ContainerImage {
  if (source.kind === "ecr") return ecs.ContainerImage.fromEcrRepository(source.repository, source.tagOrDigest);
  // Staged by `cdk synth` (no Docker needed then), built by `cdk deploy`.
  return ecs.ContainerImage.fromAsset(fileURLToPath(new URL("../controller-image", import.meta.url)), {
    platform: assets.Platform.LINUX_ARM64,
    buildArgs: { TORNADE_VERSION: tornadeVersion() },
  });
}
