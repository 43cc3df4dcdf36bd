/**
 * Where runner tasks run: a new VPC, or subnets and security groups the user already has.
 *
 * The new VPC has public subnets only and no NAT gateway: a runner needs outbound HTTPS (GitHub, registries) and no
 * inbound at all, and a NAT gateway would be the one thing billed by the hour while nothing runs (about $0.045/h per
 * gateway in us-east-1, "Amazon VPC pricing"). Tasks get a public IP and a security group without ingress rules.
 * Teams that want private subnets bring their own VPC (with NAT or VPC endpoints) and set `assignPublicIp: false`.
 */
import { aws_ec2 as ec2, aws_logs as logs, RemovalPolicy } from "aws-cdk-lib";
import { Construct } from "constructs";

export interface RunnerNetworkProps {
  /** An existing VPC. Default: a new VPC with two public subnets and no NAT gateway. */
  readonly vpc?: ec2.IVpc;
  /** Which subnets of the VPC runner tasks use. Default: public subnets of a new VPC, private ones of a given VPC. */
  readonly subnets?: ec2.SubnetSelection;
  /** Security groups for runner tasks. Default: one new group with no ingress and all egress. */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Give tasks a public IP (needed in public subnets without NAT). Default: true for a new VPC, false otherwise. */
  readonly assignPublicIp?: boolean;
  /** How long VPC flow logs (rejected traffic, new VPC only) are kept. */
  readonly flowLogRetention: logs.RetentionDays;
}

/** Where runner tasks go unless `subnets` says: the new VPC's public subnets, or a given VPC's private ones with a route out. */
export function runnerSubnets(created: boolean): ec2.SubnetSelection {
  return { subnetType: created ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS };
}

export class RunnerNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  readonly subnetIds: string[];
  /** The subnets runner tasks (and the scale-set controller) go into. */
  readonly selection: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
  readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: RunnerNetworkProps) {
    super(scope, id);
    const created = props.vpc === undefined;
    this.vpc =
      props.vpc ??
      new ec2.Vpc(this, "Vpc", {
        maxAzs: 2,
        natGateways: 0,
        subnetConfiguration: [{ name: "runners", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
        flowLogs: {
          // Rejected traffic only: enough to see a blocked runner, without paying to log every job's downloads.
          rejected: {
            trafficType: ec2.FlowLogTrafficType.REJECT,
            destination: ec2.FlowLogDestination.toCloudWatchLogs(
              new logs.LogGroup(this, "FlowLogs", { retention: props.flowLogRetention, removalPolicy: RemovalPolicy.DESTROY }),
            ),
          },
        },
      });
    this.selection = props.subnets ?? runnerSubnets(created);
    this.subnetIds = this.vpc.selectSubnets(this.selection).subnetIds;
    this.securityGroups = props.securityGroups ?? [
      new ec2.SecurityGroup(this, "RunnerSecurityGroup", {
        vpc: this.vpc,
        description: "tornade runners: no inbound; outbound to GitHub, registries and AWS APIs",
        allowAllOutbound: true,
      }),
    ];
    this.assignPublicIp = props.assignPublicIp ?? created;
  }
}
