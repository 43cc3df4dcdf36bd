/**
 * The resources TornadeRunners declares, read off the synthesized template.
 */
import { aws_ec2 as ec2 } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { TORNADE_TABLE } from "../../src/store/dynamodb-table.js";
import type { IConstruct } from "constructs";
import { functionEnvironment, synthesize } from "./template.js";

const { stack, tornade, template } = synthesize({ defaults: { cpu: 2, memory: 4096 } });

const environmentOf = (fn: IConstruct) => functionEnvironment(template, stack, fn);

describe("runners", () => {
  it("has a cluster with the FARGATE and FARGATE_SPOT capacity providers", () => {
    template.resourceCountIs("AWS::ECS::Cluster", 1);
    template.hasResourceProperties("AWS::ECS::ClusterCapacityProviderAssociations", {
      CapacityProviders: Match.arrayWith(["FARGATE", "FARGATE_SPOT"]),
    });
  });

  it.each([["X86_64"], ["ARM64"]])("has a %s runner task definition sized by props, container runner, logging to CloudWatch", (arch) => {
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      Cpu: "2048",
      Memory: "4096",
      RequiresCompatibilities: ["FARGATE"],
      RuntimePlatform: { CpuArchitecture: arch, OperatingSystemFamily: "LINUX" },
      ContainerDefinitions: [
        Match.objectLike({
          Name: "runner",
          Essential: true,
          StopTimeout: 120,
          LogConfiguration: Match.objectLike({ LogDriver: "awslogs" }),
          LinuxParameters: { InitProcessEnabled: true },
        }),
      ],
    });
  });

  it.each([["LINUX_CONTAINER"], ["ARM_CONTAINER"]])("has a privileged %s CodeBuild project running the runner image's buildspec", (type) => {
    template.hasResourceProperties("AWS::CodeBuild::Project", {
      Environment: Match.objectLike({
        Type: type,
        PrivilegedMode: true,
        ImagePullCredentialsType: "SERVICE_ROLE",
        EnvironmentVariables: [{ Name: "TORNADE_DOCKER", Type: "PLAINTEXT", Value: "true" }],
      }),
      Source: { Type: "NO_SOURCE", BuildSpec: Match.stringLikeRegexp("tornade-entrypoint\\.sh") },
      Artifacts: { Type: "NO_ARTIFACTS" },
    });
  });

  it("creates a VPC with public subnets and no NAT gateway by default, and runners get public IPs", () => {
    template.resourceCountIs("AWS::EC2::VPC", 1);
    template.resourceCountIs("AWS::EC2::NatGateway", 0);
    template.resourceCountIs("AWS::EC2::FlowLog", 1);
    expect(environmentOf(tornade.controller.deployed("worker").fn)).toMatchObject({ TORNADE_ASSIGN_PUBLIC_IP: "true", TORNADE_CONTAINER_NAME: "runner" });
  });

  it("uses existing subnets and security groups when given, without a new VPC", () => {
    const existing = synthesize({}, (s) => {
      const vpc = ec2.Vpc.fromVpcAttributes(s, "Vpc", { vpcId: "vpc-1", availabilityZones: ["eu-west-1a"] });
      return {
        vpc,
        subnets: { subnets: [ec2.Subnet.fromSubnetId(s, "S1", "subnet-aaa"), ec2.Subnet.fromSubnetId(s, "S2", "subnet-bbb")] },
        securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(s, "Sg", "sg-123")],
      };
    });
    existing.template.resourceCountIs("AWS::EC2::VPC", 0);
    existing.template.resourceCountIs("AWS::EC2::SecurityGroup", 0);
    const env = functionEnvironment(existing.template, existing.stack, existing.tornade.controller.deployed("worker").fn);
    expect(env).toMatchObject({ TORNADE_SUBNETS: "subnet-aaa,subnet-bbb", TORNADE_SECURITY_GROUPS: "sg-123", TORNADE_ASSIGN_PUBLIC_IP: "false" });
  });
});

describe("serverless controller", () => {
  it("has four functions: webhook, worker, events, sweep, configured for the store, queue and secrets, on Node.js 24", () => {
    // The fifth is the deploy-time custom resource that starts the runner image copy (runner-image-copy.ts).
    template.resourceCountIs("AWS::Lambda::Function", 5);
    const functions = Object.values(template.findResources("AWS::Lambda::Function")) as { Properties: { Runtime: string } }[];
    expect(functions.map((f) => f.Properties.Runtime)).toEqual(Array(5).fill("nodejs24.x"));
    const env = environmentOf(tornade.controller.deployed("worker").fn);
    expect(env).toMatchObject({ APP_ID: "4242", TORNADE_STORE: "dynamodb", TORNADE_QUEUE: "sqs" });
    // A setting not given is not set: tornade's own default applies.
    expect(env).not.toHaveProperty("LAUNCH_LABEL");
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(["TORNADE_DYNAMODB_TABLE", "TORNADE_SQS_QUEUE_URL", "TORNADE_PRIVATE_KEY_SECRET_ARN", "TORNADE_TASK_DEFINITION_ARM64", "TORNADE_CODEBUILD_PROJECT_X86_64"]),
    );
    // The worker verifies no delivery: the webhook function alone is told where the webhook secret is.
    expect(env).not.toHaveProperty("TORNADE_WEBHOOK_SECRET_ARN");
    // Secrets travel by ARN (read through the Parameters and Secrets extension): no key material in the configuration.
    expect(env).toMatchObject({ PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: "2773" });
    template.hasResourceProperties("AWS::Lambda::Function", { Layers: [Match.anyValue()] });
    expect(JSON.stringify(template.findResources("AWS::Lambda::Function"))).not.toContain("resolve:secretsmanager");
  });

  it("serves the webhook through a function URL that GitHub can call", () => {
    template.hasResourceProperties("AWS::Lambda::Url", { AuthType: "NONE", TargetFunctionArn: { "Fn::GetAtt": [Match.stringLikeRegexp("Webhook"), "Arn"] } });
    // Public function URLs need both grants, the second only through the URL ("Control access to Lambda function URLs").
    template.hasResourceProperties("AWS::Lambda::Permission", { Action: "lambda:InvokeFunctionUrl", FunctionUrlAuthType: "NONE", Principal: "*" });
    template.hasResourceProperties("AWS::Lambda::Permission", { Action: "lambda:InvokeFunction", InvokedViaFunctionUrl: true, Principal: "*" });
  });

  it("feeds the worker from SQS with partial batch failures, and the queue has a dead-letter queue", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", { FunctionResponseTypes: ["ReportBatchItemFailures"], BatchSize: 10 });
    template.hasResourceProperties("AWS::SQS::Queue", {
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 50 },
    });
  });

  it("routes ECS Task State Change for the cluster and CodeBuild Build State Change for the projects to the events function", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: { source: ["aws.ecs"], "detail-type": ["ECS Task State Change"], detail: { clusterArn: [stack.resolve(tornade.ecs.cluster.clusterArn)] } },
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("Events"), "Arn"] } })],
    });
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.codebuild"],
        "detail-type": ["CodeBuild Build State Change"],
        detail: { "project-name": [stack.resolve(tornade.codebuild.projects.X86_64.projectName), stack.resolve(tornade.codebuild.projects.ARM64.projectName)] },
      },
    });
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 minute)",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("Sweep"), "Arn"] } })],
    });
  });

  it("declares the DynamoDB table exactly as the store defines it", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: TORNADE_TABLE.KeySchema,
      AttributeDefinitions: Match.arrayWith(TORNADE_TABLE.AttributeDefinitions ?? []),
      GlobalSecondaryIndexes: TORNADE_TABLE.GlobalSecondaryIndexes,
      TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
    });
  });

  it("keeps the App's private key and the webhook secret in Secrets Manager", () => {
    template.resourceCountIs("AWS::SecretsManager::Secret", 2);
    template.hasResourceProperties("AWS::SecretsManager::Secret", { GenerateSecretString: { PasswordLength: 40, ExcludePunctuation: true } });
  });

  it("alarms on dead letters and on failed launches counted from the 'launch failed' log line", () => {
    template.resourceCountIs("AWS::CloudWatch::Alarm", 3);
    template.hasResourceProperties("AWS::CloudWatch::Alarm", { Namespace: "Tornade", MetricName: "DeadLetters", Threshold: 1 });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "ApproximateNumberOfMessagesVisible", Threshold: 1 });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", { Namespace: "Tornade", MetricName: "LaunchFailures", Threshold: 3 });
    template.resourceCountIs("AWS::Logs::MetricFilter", 2);
    template.hasResourceProperties("AWS::Logs::MetricFilter", { FilterPattern: '{ $.msg = "launch failed" }' });
  });
});

describe("scope", () => {
  it("refuses at synth time (tornade's own check) organization runners with an allow-list in the Default runner group, naming the fix", () => {
    expect(() => synthesize({ github: { appId: 1, runnerScope: "org", allowedOrganizations: ["acme"] } })).toThrow(/github\.runnerGroupId: organization runners in the Default group \(1\).*Fix: create a runner group/s);
    expect(() => synthesize({ github: { appId: 1, runnerScope: "org", allowedRepositories: ["acme/app"], runnerGroupId: 1 } })).toThrow(/github\.runnerGroupId/);
  });

  it("passes a restricted runner group to the functions as TORNADE_RUNNER_GROUP_ID", () => {
    const org = synthesize({ github: { appId: 1, runnerScope: "org", allowedOrganizations: ["acme"], runnerGroupId: 7 } });
    const env = functionEnvironment(org.template, org.stack, org.tornade.controller.deployed("worker").fn);
    expect(env).toMatchObject({ TORNADE_RUNNER_SCOPE: "org", TORNADE_RUNNER_GROUP_ID: "7", TORNADE_ALLOWED_ORGANIZATIONS: "acme" });
  });
});
