/** Shared by the template tests: a stack holding one TornadeRunners, with inline code so nothing is bundled. */
import { App, aws_lambda as lambda, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { HANDLERS } from "../lib/tornade-package.js";
import { TornadeRunners, type TornadeRunnersProps } from "../lib/tornade-runners.js";

export const inlineCode = Object.fromEntries(HANDLERS.map((h) => [h, lambda.Code.fromInline(`exports.handler = async () => "${h}";`)]));

/** Inline code for the functions `intake` deploys (the construct refuses code for one it does not). */
export function inlineCodeFor(intake: unknown): Record<string, lambda.Code> {
  const i = (intake ?? {}) as { webhooks?: unknown; scaleSets?: unknown };
  return Object.fromEntries(Object.entries(inlineCode).filter(([h]) => !(h === "webhook" && i.webhooks === false) && !(h === "worker" && i.scaleSets !== undefined)));
}

export function synthesize(
  props: Partial<TornadeRunnersProps> = {},
  extra?: (stack: Stack) => Partial<TornadeRunnersProps>,
): { stack: Stack; tornade: TornadeRunners; template: Template } {
  const app = new App();
  const stack = new Stack(app, "T", { env: { account: "111122223333", region: "eu-west-1" } });
  const tornade = new TornadeRunners(stack, "Tornade", { github: { appId: 4242 }, controllerCode: inlineCodeFor(props.intake), ...(extra?.(stack) ?? {}), ...props });
  return { stack, tornade, template: Template.fromStack(stack) };
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every policy statement attached to the role whose logical id starts with `rolePrefix`. */
export function statementsOf(template: Template, stack: Stack, role: { node: { defaultChild?: unknown } }): Statement[] {
  const roleId = stack.resolve((role.node.defaultChild as { logicalId: string }).logicalId) as string;
  const policies = template.findResources("AWS::IAM::Policy");
  const out: Statement[] = [];
  for (const p of Object.values(policies) as { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } } }[]) {
    if (p.Properties.Roles.some((r) => r.Ref === roleId)) out.push(...p.Properties.PolicyDocument.Statement);
  }
  return out;
}

export function actions(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

export function allStatements(template: Template): Statement[] {
  const policies = template.findResources("AWS::IAM::Policy") as Record<string, { Properties: { PolicyDocument: { Statement: Statement[] } } }>;
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** The properties of a function (or any resource) in the template. */
export function propertiesOf(template: Template, stack: Stack, c: IConstruct): Record<string, unknown> {
  const id = stack.resolve((c.node.defaultChild as unknown as { logicalId: string }).logicalId) as string;
  return (template.toJSON().Resources[id] as { Properties: Record<string, unknown> }).Properties;
}

/** The environment variables of a function in the template. */
export function functionEnvironment(template: Template, stack: Stack, fn: IConstruct): Record<string, unknown> {
  return (propertiesOf(template, stack, fn) as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
}

/** What CloudFormation puts in place of an intrinsic (its documented Ref / GetAtt results), for a loadable value. */
export function deployed(value: unknown, resources: Record<string, { Type: string }>): string {
  if (typeof value === "string") return value;
  const v = value as Record<string, unknown>;
  if (typeof v["Ref"] === "string") {
    const id = v["Ref"];
    const type = resources[id]?.Type;
    if (type === "AWS::SQS::Queue") return `https://sqs.eu-west-1.amazonaws.com/111122223333/${id}`;
    if (type === "AWS::ECS::TaskDefinition") return `arn:aws:ecs:eu-west-1:111122223333:task-definition/${id}:1`;
    return id;
  }
  if (Array.isArray(v["Fn::GetAtt"])) return `arn:aws:${String((v["Fn::GetAtt"] as string[])[0])}`;
  if (Array.isArray(v["Fn::Join"])) {
    const [sep, parts] = v["Fn::Join"] as [string, unknown[]];
    return parts.map((p) => deployed(p, resources)).join(sep);
  }
  throw new Error(`no stand-in for ${JSON.stringify(value)}`);
}
