/**
 * The least privilege tornade's controller needs to launch and watch runners, as IAM statements:
 * - watching (the sweep's tracker round; the worker): ecs:DescribeTasks only on tasks of tornade's cluster,
 *   codebuild:BatchGetBuilds only on the runner projects;
 * - stopping (the sweep's reaper round; the worker): ecs:StopTask only on tasks of that cluster,
 *   codebuild:StopBuild only on the runner projects;
 * - launching (the worker only): ecs:RunTask only on the runner task definitions (exact revisions), and
 *   only into tornade's cluster; ecs:TagResource only for tasks that RunTask creates in that cluster (RunTask with
 *   `tags` needs it: "Grant permission to tag resources on creation", Amazon ECS Developer Guide); ecs:ListTasks only
 *   in that cluster; iam:PassRole only for the runner task and execution roles, only to ECS tasks;
 *   codebuild:StartBuild / ListBuildsForProject only on the runner projects;
 * - secretsmanager:GetSecretValue only on the secrets a function reads;
 * - sqs:SendMessage only on the work queue.
 * Resource and condition keys: "Actions, resources, and condition keys for Amazon ECS / AWS CodeBuild / AWS Secrets
 * Manager" (Service Authorization Reference).
 */
import { aws_codebuild as codebuild, aws_ecs as ecs, aws_iam as iam, aws_secretsmanager as sm, aws_sqs as sqs, Stack } from "aws-cdk-lib";

export interface RunnerTargets {
  readonly cluster: ecs.ICluster;
  readonly taskDefinitions: readonly ecs.TaskDefinition[];
  readonly taskRole: iam.IRole;
  readonly executionRole: iam.IRole;
  readonly projects: readonly codebuild.IProject[];
}

/** Tasks of one cluster: arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/TASK-ID. Task ids are not known in advance. */
export function clusterTasksArn(cluster: ecs.ICluster): string {
  return Stack.of(cluster).formatArn({ service: "ecs", resource: "task", resourceName: `${cluster.clusterName}/*` });
}

/** The cluster's container instances, the resource type ecs:ListTasks authorizes on. */
export function clusterInstancesArn(cluster: ecs.ICluster): string {
  return Stack.of(cluster).formatArn({ service: "ecs", resource: "container-instance", resourceName: `${cluster.clusterName}/*` });
}

const inCluster = (cluster: ecs.ICluster) => ({ ArnEquals: { "ecs:cluster": cluster.clusterArn } });

/** Reading the state of runner tasks and builds (src/providers: describe). */
export function watchStatements(t: RunnerTargets): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: "WatchRunnerTasks",
      actions: ["ecs:DescribeTasks"],
      resources: [clusterTasksArn(t.cluster)],
      conditions: inCluster(t.cluster),
    }),
    new iam.PolicyStatement({ sid: "WatchRunnerBuilds", actions: ["codebuild:BatchGetBuilds"], resources: t.projects.map((p) => p.projectArn) }),
  ];
}

/** Stopping runner tasks and builds (src/providers: stop): idle or unwanted runners, and the reaper's releases. */
export function stopStatements(t: RunnerTargets): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: "StopRunnerTasks",
      actions: ["ecs:StopTask"],
      resources: [clusterTasksArn(t.cluster)],
      conditions: inCluster(t.cluster),
    }),
    new iam.PolicyStatement({ sid: "StopRunnerBuilds", actions: ["codebuild:StopBuild"], resources: t.projects.map((p) => p.projectArn) }),
  ];
}

/** Starting, finding and stopping runner tasks and builds (src/providers: launch, find, stop), and watching them. */
export function launchStatements(t: RunnerTargets): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: "RunRunnerTasks",
      actions: ["ecs:RunTask"],
      resources: t.taskDefinitions.map((td) => td.taskDefinitionArn),
      conditions: inCluster(t.cluster),
    }),
    new iam.PolicyStatement({
      sid: "TagRunnerTasksAtLaunch",
      actions: ["ecs:TagResource"],
      resources: [clusterTasksArn(t.cluster)],
      conditions: { StringEquals: { "ecs:CreateAction": "RunTask" } },
    }),
    new iam.PolicyStatement({
      // Finding a task by its runner's name (startedBy) after a crash lost RunTask's answer. ListTasks authorizes on
      // the cluster's container-instance resource type and the ecs:cluster condition key.
      sid: "FindRunnerTasks",
      actions: ["ecs:ListTasks"],
      resources: [clusterInstancesArn(t.cluster)],
      conditions: inCluster(t.cluster),
    }),
    new iam.PolicyStatement({
      sid: "PassRunnerRolesToEcs",
      actions: ["iam:PassRole"],
      resources: [t.taskRole.roleArn, t.executionRole.roleArn],
      conditions: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    }),
    new iam.PolicyStatement({ sid: "StartRunnerBuilds", actions: ["codebuild:StartBuild"], resources: t.projects.map((p) => p.projectArn) }),
    new iam.PolicyStatement({
      // Finding a build by its runner's name after a crash lost StartBuild's answer: the project's recent builds.
      sid: "FindRunnerBuilds",
      actions: ["codebuild:ListBuildsForProject"],
      resources: t.projects.map((p) => p.projectArn),
    }),
    ...stopStatements(t),
    ...watchStatements(t),
  ];
}

export function secretStatement(secrets: readonly sm.ISecret[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "ReadTornadeSecrets",
    actions: ["secretsmanager:GetSecretValue"],
    resources: secrets.map((s) => s.secretArn),
  });
}

/** Enqueueing "look at job N again" (src/queue/sqs-queue.ts sends; it never reads the queue's attributes or URL). */
export function sendStatement(queue: sqs.IQueue): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid: "EnqueueWork", actions: ["sqs:SendMessage"], resources: [queue.queueArn] });
}
