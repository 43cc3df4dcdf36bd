/**
 * Least privilege, read off the synthesized template: what each controller role may do, and on what.
 */
import { describe, expect, it } from "vitest";
import { actions, allStatements, statementsOf, synthesize, type Statement } from "./template.js";

const { stack, tornade, template } = synthesize();
const ref = (c: { node: { defaultChild?: unknown } }) => ({ Ref: stack.resolve((c.node.defaultChild as { logicalId: string }).logicalId) as string });
const fns = tornade.controller.functions;

function withAction(statements: Statement[], action: string): Statement[] {
  return statements.filter((s) => actions(s).includes(action));
}

describe("controller permissions", () => {
  it("allows ecs:RunTask only on the two runner task definitions, and only in tornade's cluster", () => {
    const runTask = withAction(allStatements(template), "ecs:RunTask");
    expect(runTask.length).toBeGreaterThan(0);
    for (const s of runTask) {
      expect(actions(s)).toEqual(["ecs:RunTask"]);
      expect(s.Resource).toEqual([ref(tornade.ecs.taskDefinitions.X86_64), ref(tornade.ecs.taskDefinitions.ARM64)]);
      expect(s.Condition).toEqual({ ArnEquals: { "ecs:cluster": stack.resolve(tornade.ecs.cluster.clusterArn) } });
    }
  });

  it("scopes StopTask/DescribeTasks to the cluster's tasks, and tagging to RunTask's own tasks", () => {
    const taskArn = stack.resolve(stack.formatArn({ service: "ecs", resource: "task", resourceName: `${tornade.ecs.cluster.clusterName}/*` }));
    for (const s of withAction(allStatements(template), "ecs:StopTask")) {
      expect(stack.resolve(s.Resource)).toEqual(taskArn);
      expect(s.Condition).toEqual({ ArnEquals: { "ecs:cluster": stack.resolve(tornade.ecs.cluster.clusterArn) } });
    }
    for (const s of withAction(allStatements(template), "ecs:TagResource")) {
      expect(s.Condition).toEqual({ StringEquals: { "ecs:CreateAction": "RunTask" } });
    }
  });

  it("lists tasks (to find one whose RunTask answer a crash lost) only in the runner cluster", () => {
    const listing = withAction(allStatements(template), "ecs:ListTasks");
    expect(listing.length).toBeGreaterThan(0);
    const instances = stack.resolve(stack.formatArn({ service: "ecs", resource: "container-instance", resourceName: `${tornade.ecs.cluster.clusterName}/*` }));
    for (const s of listing) {
      expect(actions(s)).toEqual(["ecs:ListTasks"]);
      expect(stack.resolve(s.Resource)).toEqual(instances);
      expect(s.Condition).toEqual({ ArnEquals: { "ecs:cluster": stack.resolve(tornade.ecs.cluster.clusterArn) } });
    }
  });

  it("passes only the runner task and execution roles, only to ECS tasks", () => {
    const pass = withAction(allStatements(template), "iam:PassRole");
    expect(pass.length).toBe(3); // worker, events, sweep
    for (const s of pass) {
      expect(s.Resource).toEqual([
        stack.resolve(tornade.ecs.taskRole.roleArn),
        stack.resolve(tornade.ecs.executionRole.roleArn),
      ]);
      expect(s.Condition).toEqual({ StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
    }
  });

  it("starts, reads and stops builds only of the runner projects", () => {
    const start = withAction(allStatements(template), "codebuild:StartBuild");
    expect(start.length).toBe(3);
    for (const s of start) {
      expect([...actions(s)].sort()).toEqual(["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"]);
      expect(s.Resource).toEqual([
        stack.resolve(tornade.codebuild.projects.X86_64.projectArn),
        stack.resolve(tornade.codebuild.projects.ARM64.projectArn),
      ]);
    }
  });

  it("reads only tornade's two secrets", () => {
    const reads = withAction(allStatements(template), "secretsmanager:GetSecretValue");
    expect(reads.length).toBe(4);
    for (const s of reads) {
      expect(actions(s)).toEqual(["secretsmanager:GetSecretValue"]);
      expect(s.Resource).toEqual([ref(tornade.privateKeySecret), ref(tornade.webhookSecret)]);
    }
  });

  it("gives the webhook function no ECS, CodeBuild or PassRole rights", () => {
    const webhook = statementsOf(template, stack, fns.webhook.role).flatMap(actions);
    expect(webhook.filter((a) => /^(ecs|codebuild|iam):/.test(a))).toEqual([]);
    expect(webhook).toContain("sqs:SendMessage");
  });

  it("names each DynamoDB index exactly instead of index/*", () => {
    for (const s of withAction(allStatements(template), "dynamodb:PutItem")) {
      expect(JSON.stringify(s.Resource)).not.toContain("index/*");
      expect(JSON.stringify(s.Resource)).toContain("/index/gsi3");
    }
  });

  it("grants nothing on every resource but ecr:GetAuthorizationToken (which has no resource-level permissions)", () => {
    const star = allStatements(template).filter((s) => s.Resource === "*");
    expect(star.flatMap(actions)).toEqual(expect.arrayContaining(["ecr:GetAuthorizationToken"]));
    expect(star.flatMap(actions).filter((a) => a !== "ecr:GetAuthorizationToken")).toEqual([]);
  });

  it("attaches no AWS managed policy to any role", () => {
    const roles = template.findResources("AWS::IAM::Role") as Record<string, { Properties: { ManagedPolicyArns?: unknown[] } }>;
    for (const r of Object.values(roles)) expect(r.Properties.ManagedPolicyArns ?? []).toEqual([]);
  });
});
