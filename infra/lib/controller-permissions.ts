/**
 * The least privilege tornade's controller needs to launch and watch runners, as IAM statements:
 * - ecs:RunTask only on the runner task definitions (exact revisions), and only into tornade's cluster;
 * - ecs:TagResource only for tasks that RunTask creates in that cluster (RunTask with `tags` needs it: "Grant
 *   permission to tag resources on creation", Amazon ECS Developer Guide);
 * - ecs:StopTask / ecs:DescribeTasks only on tasks of that cluster, ecs:ListTasks only in that cluster;
 * - iam:PassRole only for the runner task and execution roles, only to ECS tasks;
 * - codebuild:StartBuild / BatchGetBuilds / StopBuild only on the runner projects;
 * - secretsmanager:GetSecretValue only on tornade's two secrets.
 * Resource and condition keys: "Actions, resources, and condition keys for Amazon ECS / AWS CodeBuild / AWS Secrets
 * Manager" (Service Authorization Reference).
 */
import { aws_codebuild as codebuild, aws_ecs as ecs, aws_iam as iam, aws_secretsmanager as sm, Stack } from "aws-cdk-lib";

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

export function launchStatements(t: RunnerTargets): iam.PolicyStatement[] {
  const inCluster = { ArnEquals: { "ecs:cluster": t.cluster.clusterArn } };
  return [
    new iam.PolicyStatement({
      sid: "RunRunnerTasks",
      actions: ["ecs:RunTask"],
      resources: t.taskDefinitions.map((td) => td.taskDefinitionArn),
      conditions: inCluster,
    }),
    new iam.PolicyStatement({
      sid: "TagRunnerTasksAtLaunch",
      actions: ["ecs:TagResource"],
      resources: [clusterTasksArn(t.cluster)],
      conditions: { StringEquals: { "ecs:CreateAction": "RunTask" } },
    }),
    new iam.PolicyStatement({
      sid: "WatchAndStopRunnerTasks",
      actions: ["ecs:DescribeTasks", "ecs:StopTask"],
      resources: [clusterTasksArn(t.cluster)],
      conditions: inCluster,
    }),
    new iam.PolicyStatement({
      // Finding a task by its runner's name (startedBy) after a crash lost RunTask's answer. ListTasks authorizes on
      // the cluster's container-instance resource type and the ecs:cluster condition key.
      sid: "FindRunnerTasks",
      actions: ["ecs:ListTasks"],
      resources: [Stack.of(t.cluster).formatArn({ service: "ecs", resource: "container-instance", resourceName: `${t.cluster.clusterName}/*` })],
      conditions: inCluster,
    }),
    new iam.PolicyStatement({
      sid: "PassRunnerRolesToEcs",
      actions: ["iam:PassRole"],
      resources: [t.taskRole.roleArn, t.executionRole.roleArn],
      conditions: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    }),
    new iam.PolicyStatement({
      sid: "RunnerBuilds",
      actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"],
      resources: t.projects.map((p) => p.projectArn),
    }),
  ];
}

export function secretStatement(secrets: readonly sm.ISecret[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "ReadTornadeSecrets",
    actions: ["secretsmanager:GetSecretValue"],
    resources: secrets.map((s) => s.secretArn),
  });
}
