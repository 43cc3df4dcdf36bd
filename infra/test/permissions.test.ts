/**
 * Least privilege, read off the synthesized template: what each controller role may do, and on what.
 */
import { App, aws_iam as iam, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { TornadeRunners } from "../lib/index.js";
import { actions, allStatements, inlineCode, statementsOf, synthesize, type Statement } from "./template.js";

const { stack, tornade, template } = synthesize();
const ref = (c: { node: { defaultChild?: unknown } }) => ({ Ref: stack.resolve((c.node.defaultChild as { logicalId: string }).logicalId) as string });
const fns = { webhook: tornade.controller.deployed("webhook"), worker: tornade.controller.deployed("worker"), events: tornade.controller.functions.events, sweep: tornade.controller.functions.sweep };

function withAction(statements: Statement[], action: string): Statement[] {
  return statements.filter((s) => actions(s).includes(action));
}

/** The deploy-time custom resource that starts the runner image copy (runner-image-copy.ts). */
const isCopyStart = (s: Statement) => JSON.stringify(s.Resource).includes("RunnerImageCopyProject");

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
    const onTasks = [...withAction(allStatements(template), "ecs:StopTask"), ...withAction(allStatements(template), "ecs:DescribeTasks")];
    expect(onTasks.length).toBe(4); // the worker and the sweep each stop and describe
    for (const s of onTasks) {
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

  it("passes only the runner task and execution roles, only to ECS tasks, and only from the worker", () => {
    const pass = withAction(allStatements(template), "iam:PassRole");
    expect(pass).toEqual(withAction(statementsOf(template, stack, fns.worker.role), "iam:PassRole"));
    expect(pass.length).toBe(1);
    for (const s of pass) {
      expect(s.Resource).toEqual([
        stack.resolve(tornade.ecs.taskRole.roleArn),
        stack.resolve(tornade.ecs.executionRole.roleArn),
      ]);
      expect(s.Condition).toEqual({ StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
    }
  });

  it("starts builds only of the runner projects, and only from the worker; the worker and sweep stop and read them", () => {
    const projects = [stack.resolve(tornade.codebuild.projects.X86_64.projectArn), stack.resolve(tornade.codebuild.projects.ARM64.projectArn)];
    const start = withAction(allStatements(template), "codebuild:StartBuild").filter((s) => !isCopyStart(s));
    expect(start).toEqual(withAction(statementsOf(template, stack, fns.worker.role), "codebuild:StartBuild"));
    for (const s of start) {
      expect(actions(s)).toEqual(["codebuild:StartBuild"]);
      expect(s.Resource).toEqual(projects);
    }
    const finds = withAction(statementsOf(template, stack, fns.worker.role), "codebuild:ListBuildsForProject");
    expect(finds.map((s) => s.Resource)).toEqual([projects]);
    for (const f of [fns.worker, fns.sweep]) {
      for (const action of ["codebuild:StopBuild", "codebuild:BatchGetBuilds"]) {
        const granted = withAction(statementsOf(template, stack, f.role), action);
        expect(granted.map((s) => [actions(s), s.Resource])).toEqual([[[action], projects]]);
      }
    }
  });

  it("lets each function act on runners only as far as it needs: the sweep describes and stops (its reaper round), events and webhook nothing", () => {
    const runnerActions = (f: { role: { node: { defaultChild?: unknown } } }) =>
      statementsOf(template, stack, f.role)
        .flatMap(actions)
        .filter((a) => /^(ecs|codebuild|iam):/.test(a))
        .sort();
    expect(runnerActions(fns.sweep)).toEqual(["codebuild:BatchGetBuilds", "codebuild:StopBuild", "ecs:DescribeTasks", "ecs:StopTask"]);
    expect(runnerActions(fns.events)).toEqual([]);
    expect(runnerActions(fns.webhook)).toEqual([]);
    expect(runnerActions(fns.worker)).toEqual(
      ["codebuild:BatchGetBuilds", "codebuild:ListBuildsForProject", "codebuild:StartBuild", "codebuild:StopBuild", "ecs:DescribeTasks", "ecs:ListTasks", "ecs:RunTask", "ecs:StopTask", "ecs:TagResource", "iam:PassRole"].sort(),
    );
  });

  it("lets the webhook read only the webhook secret, the events function no secret, the worker and sweep only the App's key", () => {
    const secretsOf = (f: { role: { node: { defaultChild?: unknown } } }) => withAction(statementsOf(template, stack, f.role), "secretsmanager:GetSecretValue");
    expect(secretsOf(fns.webhook).map((s) => s.Resource)).toEqual([ref(tornade.webhookSecret)]);
    // The events function stores what EventBridge reports and calls no GitHub API (src/lambda/wiring.ts wireEvents).
    expect(statementsOf(template, stack, fns.events.role).flatMap(actions).filter((a) => a.startsWith("secretsmanager:"))).toEqual([]);
    for (const f of [fns.worker, fns.sweep]) {
      // They verify no delivery (the webhook function does): the webhook secret is no business of theirs.
      expect(secretsOf(f).map((s) => s.Resource)).toEqual([ref(tornade.privateKeySecret)]);
    }
    for (const s of withAction(allStatements(template), "secretsmanager:GetSecretValue")) expect(actions(s)).toEqual(["secretsmanager:GetSecretValue"]);
  });

  it("lets every function send to the work queue and nothing more, but the worker, which consumes it", () => {
    for (const f of [fns.webhook, fns.events, fns.sweep]) {
      expect(statementsOf(template, stack, f.role).flatMap(actions).filter((a) => a.startsWith("sqs:"))).toEqual(["sqs:SendMessage"]);
    }
  });

  it("grants nothing in tornade that scans, batch-writes or describes the table", () => {
    const dynamo = allStatements(template).flatMap(actions).filter((a) => a.startsWith("dynamodb:"));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const a of ["dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:*"]) expect(dynamo).not.toContain(a);
  });

  it("names each DynamoDB index exactly instead of index/*, for queries only", () => {
    const indexed = allStatements(template).filter((s) => JSON.stringify(s.Resource).includes("/index/"));
    expect(indexed.length).toBe(3); // worker, events, sweep
    for (const s of indexed) {
      expect(actions(s)).toEqual(["dynamodb:Query"]);
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

describe("grantController (the container layout)", () => {
  it("gives a `tornade serve` task role what the worker and the sweep have: launch, watch, JIT parameters, state, queue, secrets", () => {
    const s = new Stack(new App(), "C", { env: { account: "111122223333", region: "eu-west-1" } });
    const t = new TornadeRunners(s, "Tornade", { github: { appId: 1 }, controllerCode: inlineCode });
    const role = new iam.Role(s, "ServeTaskRole", { assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com") });
    t.grantController(role);
    const mine = statementsOf(Template.fromStack(s), s, role).flatMap(actions);
    expect(mine).toEqual(
      expect.arrayContaining([
        "ecs:RunTask", "ecs:StopTask", "ecs:DescribeTasks", "ecs:ListTasks", "iam:PassRole", "codebuild:StartBuild", "codebuild:BatchGetBuilds",
        "ssm:PutParameter", "ssm:DeleteParameter", "kms:GenerateDataKey", "dynamodb:PutItem", "dynamodb:Query", "sqs:SendMessage", "sqs:ReceiveMessage",
        "secretsmanager:GetSecretValue",
      ]),
    );
    // Like the functions, it may not read a runner's JIT config back.
    expect(mine.filter((a) => /^ssm:GetParameter|^kms:Decrypt$/.test(a))).toEqual([]);
  });
});
