/**
 * Every cdk-nag AwsSolutions finding tornade accepts, on the construct it concerns, each with its reason.
 * Anything not listed here fails `npm run synth` (and `cdk deploy` of infra/bin/app.ts).
 * Finding ids of IAM5 name resources by their CloudFormation logical ids, which depend on where the construct sits in
 * the user's app; they are computed here, not written out.
 */
import { type CfnElement, Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import type { TornadeRunners } from "./tornade-runners.js";

function logicalId(c: IConstruct): string {
  const stack = Stack.of(c);
  return String(stack.resolve((c.node.defaultChild as CfnElement).logicalId));
}

function ack(c: IConstruct, id: string, reason: string): void {
  Validations.of(c).acknowledge({ id, reason });
}

const ECR_AUTH =
  "ecr:GetAuthorizationToken has no resource-level permissions (Service Authorization Reference, Amazon ECR); it is " +
  "required to pull the runner image. The repository-level pull actions are scoped to the image's repository.";

export function acknowledgeFindings(t: TornadeRunners): void {
  ack(t.ecs.executionRole, "AwsSolutions-IAM5[Resource::*]", ECR_AUTH);

  const taskArn = `Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<${logicalId(t.ecs.cluster)}>/*`;
  const instances = `Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:container-instance/<${logicalId(t.ecs.cluster)}>/*`;
  for (const f of Object.values(t.controller.functions)) {
    ack(
      f.role,
      `AwsSolutions-IAM5[${taskArn}]`,
      "Runner task ids are made by RunTask, so DescribeTasks/StopTask/TagResource name the cluster's tasks by " +
        "wildcard; each statement is further conditioned on ecs:cluster (or ecs:CreateAction = RunTask).",
    );
    ack(
      f.role,
      `AwsSolutions-IAM5[${instances}]`,
      "ListTasks authorizes on the container-instance resource type (Service Authorization Reference); Fargate has no " +
        "container instances to name, so the cluster's are named by wildcard, further conditioned on ecs:cluster.",
    );
  }

  for (const project of Object.values(t.codebuild.projects)) {
    const id = logicalId(project);
    ack(project, "AwsSolutions-IAM5[Resource::*]", ECR_AUTH);
    const cdkDefault =
      "aws-cdk-lib grants every project its default log group and report groups by its own name prefix; tornade's " +
      "builds log to the explicit log group and create no reports, so these grants reach nothing else.";
    ack(project, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/<${id}>:*]`, cdkDefault);
    ack(project, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group/<${id}>-*]`, cdkDefault);
    ack(
      project,
      "AwsSolutions-CB4",
      "Builds produce no artifacts (NO_ARTIFACTS, no cache); CodeBuild encrypts its logs and temporary storage with " +
        "AWS-managed keys. A customer managed KMS key would add $1/month of idle cost for no data at rest.",
    );
    ack(
      project,
      "AwsSolutions-CB5",
      "The build image is tornade's runner image (runner-image/, on the official actions-runner image): the runner " +
        "and its tools are what the job needs, which CodeBuild's curated images do not carry.",
    );
  }
  // Privileged mode is CodeBuild's purpose here (Docker for jobs); AwsSolutions has no rule for it in cdk-nag 3.

  ack(
    t.privateKeySecret,
    "AwsSolutions-SMG4",
    "A GitHub App private key is generated in GitHub's App settings, not by a rotation Lambda; rotate it there and " +
      "put the new PEM in this secret (docs/deploy-aws.md, Upgrades and rotation).",
  );
  ack(
    t.webhookSecret,
    "AwsSolutions-SMG4",
    "The webhook secret must equal the value in the GitHub App's settings, which Secrets Manager cannot change; " +
      "rotating means updating both by hand (docs/deploy-aws.md).",
  );
}
