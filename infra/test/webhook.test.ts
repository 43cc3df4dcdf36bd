/**
 * The public webhook function (function URL, AuthType NONE), read off the synthesized template: it holds the webhook
 * secret and nothing else, may write only intake's items of the table (intake-access.test.ts checks those against the
 * real intake), and has reserved concurrency.
 */
import { describe, expect, it } from "vitest";
import { actions, functionEnvironment, propertiesOf, statementsOf, synthesize } from "./template.js";

const { stack, tornade, template } = synthesize();
const webhook = tornade.controller.deployed("webhook");
const statements = statementsOf(template, stack, webhook.role);

const reservedConcurrencyOf = (t: ReturnType<typeof synthesize>) =>
  propertiesOf(t.template, t.stack, t.tornade.controller.deployed("webhook").fn)["ReservedConcurrentExecutions"];

describe("webhook function", () => {
  it("is not told where the App's private key is, and may read only the webhook secret", () => {
    const env = functionEnvironment(template, stack, webhook.fn);
    expect(env).not.toHaveProperty("TORNADE_PRIVATE_KEY_SECRET_ARN");
    expect(env).toHaveProperty("TORNADE_WEBHOOK_SECRET_ARN", stack.resolve(tornade.webhookSecret.secretArn));
    const secretStatements = statements.filter((s) => actions(s).some((a) => a.startsWith("secretsmanager:")));
    expect(secretStatements.map((s) => [actions(s), s.Resource])).toEqual([[["secretsmanager:GetSecretValue"], stack.resolve(tornade.webhookSecret.secretArn)]]);
    // The worker functions hold the key.
    expect(functionEnvironment(template, stack, tornade.controller.deployed("worker").fn)).toHaveProperty("TORNADE_PRIVATE_KEY_SECRET_ARN");
  });

  it("reads and conditionally writes only intake's items: GetItem, PutItem, UpdateItem under dynamodb:LeadingKeys", () => {
    const dynamo = statements.filter((s) => actions(s).some((a) => a.startsWith("dynamodb:")));
    expect(dynamo.flatMap(actions).sort()).toEqual(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);
    for (const s of dynamo) {
      // The table itself, no index.
      expect(s.Resource).toEqual(stack.resolve(tornade.controller.table.tableArn));
      expect(s.Condition?.["Null"]).toEqual({ "dynamodb:LeadingKeys": "false" });
    }
    const keys = (action: string) => dynamo.find((s) => actions(s).includes(action))?.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"];
    expect(keys("dynamodb:PutItem")).toEqual(["DELIVERY#*", "JOB#*", "QPEND#*"]);
    expect(keys("dynamodb:GetItem")).toEqual(["DELIVERY#*", "JOB#*", "QPEND#*"]);
  });

  it("sends to the work queue and touches nothing else: no runner, no queue read, no other log group", () => {
    expect(statements.flatMap(actions).sort()).toEqual(
      [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
        "sqs:SendMessage",
      ].sort(),
    );
    expect(statements.find((s) => actions(s).includes("sqs:SendMessage"))?.Resource).toEqual(stack.resolve(tornade.controller.queue.queueArn));
  });

  it("has reserved concurrency: 20 by default, or as set, and refuses a value that would stop it or is not whole", () => {
    expect(reservedConcurrencyOf({ stack, tornade, template })).toBe(20);
    expect(reservedConcurrencyOf(synthesize({ intake: { webhooks: { reservedConcurrency: 5 } } }))).toBe(5);
    // The other functions share the account's pool.
    for (const f of [tornade.controller.deployed("worker"), tornade.controller.functions.events, tornade.controller.functions.sweep]) {
      expect(propertiesOf(template, stack, f.fn)).not.toHaveProperty("ReservedConcurrentExecutions");
    }
    expect(() => synthesize({ intake: { webhooks: { reservedConcurrency: 0 } } })).toThrow(
      /intake\.webhooks\.reservedConcurrency: 0 leaves the webhook no way in \(it must be a whole number of at least 1\)/,
    );
    expect(() => synthesize({ intake: { webhooks: { reservedConcurrency: 2.5 } } })).toThrow(/intake\.webhooks\.reservedConcurrency: 2.5/);
  });
});
