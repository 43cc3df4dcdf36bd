/**
 * Every cdk-nag AwsSolutions finding tornade accepts, on the construct it concerns, each with its reason: an app that
 * runs cdk-nag's AwsSolutionsChecks over TornadeRunners finds nothing unacknowledged. Anything not listed here fails
 * tornade's `npm run synth`.
 * Finding ids of IAM5 name resources as CloudFormation values (logical ids, pseudo parameters, or the account and
 * region of a stack with an explicit environment), which depend on where the construct sits in the user's app; they
 * are computed here with cdk-nag's own flattening, not written out. cdk-nag is an optional peer dependency: an app
 * without it runs no nag checks, and those acknowledgements are not needed.
 */
import { createRequire } from "node:module";
import { Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { clusterInstancesArn, clusterTasksArn } from "./controller-permissions.js";
import type { TornadeRunners } from "./tornade-runners.js";

function ack(c: IConstruct, id: string, reason: string): void {
  Validations.of(c).acknowledge({ id, reason });
}

type Flatten = (value: unknown) => string;

/** cdk-nag's IAM5 rule names a wildcard resource by this function's output; undefined when cdk-nag is not installed. */
function cdkNagFlatten(): Flatten | undefined {
  try {
    return (createRequire(import.meta.url)("cdk-nag/lib/utils/flatten-cfn-reference.js") as { flattenCfnReference: Flatten }).flattenCfnReference;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") return undefined;
    throw e;
  }
}

const ECR_AUTH =
  "ecr:GetAuthorizationToken has no resource-level permissions (Service Authorization Reference, Amazon ECR); it is " +
  "required to pull the runner image. The repository-level pull actions are scoped to the image's repository.";

const NO_KMS_KEY =
  "Builds produce no artifacts (NO_ARTIFACTS, no cache); CodeBuild encrypts its logs and temporary storage with " +
  "AWS-managed keys. A customer managed KMS key would add $1/month of idle cost for no data at rest.";

export function acknowledgeFindings(t: TornadeRunners): void {
  const flatten = cdkNagFlatten();
  // Without cdk-nag nothing runs its checks, and there is nothing to acknowledge.
  if (flatten === undefined) return;
  /** The id of cdk-nag's finding for a wildcard resource `arn` in a policy of `c`. */
  const wildcardResource = (c: IConstruct, arn: string) => `AwsSolutions-IAM5[Resource::${flatten(Stack.of(c).resolve(arn))}]`;
  ack(t.ecs.executionRole, "AwsSolutions-IAM5[Resource::*]", ECR_AUTH);

  const { worker, sweep, events } = t.controller.functions;
  // The roles that launch runners: the worker function's, or in its place the scale-set controller's task role.
  const service = t.scaleSetService;
  const launchers = [worker?.role, service?.taskDefinition.taskRole].filter((r) => r !== undefined);
  for (const role of [...launchers, sweep.role]) {
    ack(
      role,
      wildcardResource(role, clusterTasksArn(t.ecs.cluster)),
      "Runner task ids are made by RunTask, so DescribeTasks/StopTask/TagResource name the cluster's tasks by " +
        "wildcard; each statement is further conditioned on ecs:cluster (or ecs:CreateAction = RunTask).",
    );
  }
  for (const role of launchers) {
    ack(
      role,
      wildcardResource(role, clusterInstancesArn(t.ecs.cluster)),
      "ListTasks authorizes on the container-instance resource type (Service Authorization Reference); Fargate has no " +
        "container instances to name, so the cluster's are named by wildcard, further conditioned on ecs:cluster.",
    );
  }
  if (service) {
    const execution = service.taskDefinition.executionRole;
    if (execution) ack(execution, "AwsSolutions-IAM5[Resource::*]", ECR_AUTH.replace("the runner image", "the controller image"));
    ack(
      service.taskDefinition,
      "AwsSolutions-ECS2",
      "tornade reads its configuration from the environment (its documented variables: the cluster, table, queue, " +
        "scale sets, settings); none is secret. The App's private key comes from Secrets Manager through the " +
        "container's secrets, injected by ECS at start.",
    );
  }

  for (const role of Object.values(t.codebuild.roles)) ack(role, "AwsSolutions-IAM5[Resource::*]", ECR_AUTH);

  // Runners' one-time JIT parameters (runner-credentials.ts) are named per launch, so policies name their prefix.
  const parameters = t.runnerCredentials.parametersArn;
  const PER_LAUNCH = "Parameter names are made per launch (runner name + an HMAC nobody can derive), so they are named by the prefix";
  for (const role of [t.ecs.taskRole, ...Object.values(t.codebuild.roles)]) {
    ack(role, wildcardResource(role, parameters), `${PER_LAUNCH}: each runner reads and deletes its own one-time parameter. No listing action is granted.`);
  }
  for (const role of [...launchers, sweep.role]) {
    ack(role, wildcardResource(role, parameters), `${PER_LAUNCH}: tornade's controller writes one parameter per launch and deletes unused ones. No read or listing action is granted.`);
  }
  ack(events.role, wildcardResource(events.role, parameters), `${PER_LAUNCH}: the events function deletes those of runners it learns stopped unread. No write, read or listing action is granted.`);
  for (const project of Object.values(t.codebuild.projects)) {
    ack(project, "AwsSolutions-CB4", NO_KMS_KEY);
    ack(
      project,
      "AwsSolutions-CB5",
      "The build image is tornade's runner image (runner-image/, on the official actions-runner image): the runner " +
        "and its tools are what the job needs, which CodeBuild's curated images do not carry.",
    );
  }
  // Privileged mode is CodeBuild's purpose here (Docker for jobs); AwsSolutions has no rule for it in cdk-nag 3.

  const copy = t.runnerImages.copy;
  if (copy) {
    ack(copy.role, "AwsSolutions-IAM5[Resource::*]", ECR_AUTH);
    ack(copy.project, "AwsSolutions-CB4", NO_KMS_KEY);
  }

  ack(
    t.privateKeySecret,
    "AwsSolutions-SMG4",
    "A GitHub App private key is generated in GitHub's App settings, not by a rotation Lambda; rotate it there and " +
      "put the new PEM in this secret (docs/deploy-aws.md, Upgrades and rotation).",
  );
  // The webhook secret exists with the webhook intake only, as the webhook function does.
  if (t.controller.functions.webhook) ack(
    t.webhookSecret,
    "AwsSolutions-SMG4",
    "The webhook secret must equal the value in the GitHub App's settings, which Secrets Manager cannot change; " +
      "rotating means updating both by hand (docs/deploy-aws.md).",
  );
}
