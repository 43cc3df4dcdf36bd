/**
 * The webhook function's IAM policy, checked against what the real intake does: the webhook handler, wired as the
 * deployed function is (src/lambda/wiring.ts wireIntake, no App key), takes in the test bed's deliveries and crafted
 * ones that reach every item intake touches (a job's first delivery, its progress, a runner an identical sibling took
 * (intake records the taking in a queue item; the worker marks the launch),
 * a re-run of a job tornade re-ran: intake reads nothing for it, the reconciler finds its target later). Its DynamoDB and SQS clients talk through a recording proxy; every request is then
 * evaluated against the statements the template gives the webhook role (action, dynamodb:LeadingKeys). Both ways:
 * nothing intake does is refused, and every partition the policy grants is one intake uses.
 */
import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleItem } from "../../src/controller/worker.js";
import { webhookHandler } from "../../src/lambda/webhook.js";
import { wireIntake, type IntakeServices, type LambdaServices } from "../../src/lambda/wiring.js";
import { runnerName } from "../../src/core/reconcile.js";
import { startFunctionUrl, type FunctionUrl } from "../../test/lambda/local-aws-lambda.js";
import { CREDENTIALS, startWorld, until, type World } from "../../test/lambda/world.js";
import { INTAKE_READS, INTAKE_WRITES } from "../lib/state-table.js";
import { startRecordingProxy, type RecordedCall, type RecordingProxy } from "./recording-proxy.js";
import { actions, statementsOf, synthesize, type Statement } from "./template.js";

const { stack, tornade, template } = synthesize();
const policy = statementsOf(template, stack, tornade.controller.deployed("webhook").role);

let w: World;
let full: LambdaServices;
let intake: IntakeServices;
let url: FunctionUrl;
let dynamo: RecordingProxy;
let sqs: RecordingProxy;
const bodies: string[] = [];

beforeAll(async () => {
  w = await startWorld(100);
  full = await w.services();
  [dynamo, sqs] = await Promise.all([startRecordingProxy(w.dynamo.endpoint), startRecordingProxy(w.sqs.endpoint)]);
  const { SECRET_KEY_PEM: _key, ...env } = w.env;
  intake = await wireIntake(
    { ...env, TORNADE_DYNAMODB_ENDPOINT: dynamo.endpoint, TORNADE_SQS_ENDPOINT: sqs.endpoint },
    { clock: w.clock, logger: full.logger, awsCredentials: CREDENTIALS },
  );
  const handler = webhookHandler(intake);
  url = await startFunctionUrl(async (event) => {
    if (event.body) bodies.push(event.body);
    return handler(event);
  });
  w.bed.github.control.setWebhookUrl(`${url.url}/events`);
});
afterAll(async () => {
  await url?.close();
  await intake?.close();
  await w?.close();
  await Promise.all([dynamo?.close(), sqs?.close()]);
});

/** IAM's StringLike: `*` any run of characters, `?` one. */
function like(pattern: string, value: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(value);
}

function leadingKeys(s: Statement): string[] | undefined {
  const keys = s.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"];
  return Array.isArray(keys) ? keys.map(String) : undefined;
}

/** The partition key a DynamoDB item request names (Key for reads and updates, Item for puts). */
function partitionOf(call: RecordedCall): string {
  const key = (call.body["Key"] ?? call.body["Item"]) as { pk?: { S?: string } } | undefined;
  return key?.pk?.S ?? "";
}

/** The statements of the webhook role that allow this request; a DynamoDB statement must match its partition. */
function allowing(action: string, partition?: string): Statement[] {
  return policy.filter((s) => {
    if (s.Effect !== "Allow" || !actions(s).includes(action)) return false;
    const keys = leadingKeys(s);
    if (partition === undefined) return keys === undefined;
    return keys !== undefined && keys.some((k) => like(k, partition));
  });
}

async function deliver(payload: unknown): Promise<number> {
  const body = JSON.stringify(payload);
  const res = await fetch(`${url.url}/events`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "workflow_job",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": await sign(w.env["TORNADE_WEBHOOK_SECRET"] ?? "", body),
    },
    body,
  });
  return res.status;
}

describe("the webhook function's IAM policy against the real intake", () => {
  it("allows every request intake makes, and grants no partition intake does not use", async () => {
    const run = w.bed.github.control.createRun({
      workflowName: "access",
      jobs: [
        { name: "a", labels: ["self-hosted", "tornade", "runs-on=FARGATE"], durationSeconds: 60 },
        { name: "b", labels: ["self-hosted", "tornade", "runs-on=FARGATE"], durationSeconds: 60 },
      ],
    });
    const [a, b] = run.jobs.map((j) => Number(j.id)) as [number, number];
    await until("both queued deliveries taken in", async () => ((await full.built.store.getJob(a)) && (await full.built.store.getJob(b)) ? true : undefined));
    const queued = bodies
      .map((t) => JSON.parse(t) as { action?: string; workflow_job?: Record<string, unknown> })
      .find((p) => p.action === "queued" && p.workflow_job?.["id"] === a) as { workflow_job: Record<string, unknown> };
    expect(queued).toBeDefined();

    // Job a started on the runner tornade launched for b (an identical sibling): intake only records what it saw (a
    // `taken` item) and touches no launch; the worker marks b's launch as taken.
    await full.built.store.putLaunch({ jobId: b, attempt: 1, backend: "FARGATE", arch: "X86_64", runnerName: runnerName(b, 1), requestedAt: w.clock.now() });
    const started = new Date(w.clock.now()).toISOString();
    const inProgress = { ...queued, action: "in_progress", workflow_job: { ...queued.workflow_job, status: "in_progress", runner_name: runnerName(b, 1), started_at: started } };
    expect(await deliver(inProgress)).toBe(202);
    const marked = await until("the worker to mark b's launch as taken", async () => {
      for (const item of await full.queue.receive(10, 60_000)) await handleItem({ queue: full.queue, reconciler: full.built.controller.reconciler, logger: full.logger }, item);
      return (await full.built.store.getLaunch(`${b}-1`))?.outcome ?? undefined;
    });
    expect(marked).toEqual({ kind: "taken", jobId: a, refused: null });

    // A re-run (attempt 2) of a job tornade re-ran: its target is on the earlier job's row, read by the reconciler, not
    // by intake (no META item, no index query below).
    const first = (await full.built.store.getJob(a))!;
    await full.built.store.updateJob(a, first.version, { rerunBackend: "FARGATE" });
    const rerun = { ...queued, workflow_job: { ...queued.workflow_job, id: a + 1000, run_attempt: 2 } };
    expect(await deliver(rerun)).toBe(202);

    const items = dynamo.calls.filter((c) => c.target.startsWith("DynamoDB_"));
    expect(items.length).toBeGreaterThan(0);
    const refused = items
      .map((c) => ({ action: `dynamodb:${c.target.split(".")[1] ?? ""}`, partition: partitionOf(c), index: c.body["IndexName"] }))
      .filter((r) => r.index !== undefined || allowing(r.action, r.partition).length === 0);
    expect(refused).toEqual([]);
    const sends = sqs.calls.map((c) => `sqs:${c.target.split(".")[1] ?? ""}`);
    expect(sends.length).toBeGreaterThan(0);
    expect(sends.filter((a) => allowing(a).length === 0)).toEqual([]);

    // Every granted partition was used: reads and writes.
    const used = (ops: readonly string[]) => items.filter((c) => ops.includes(c.target.split(".")[1] ?? "")).map(partitionOf);
    for (const key of INTAKE_READS) expect(used(["GetItem"]).some((p) => like(key, p)), `GetItem on ${key}`).toBe(true);
    for (const key of INTAKE_WRITES) expect(used(["PutItem", "UpdateItem"]).some((p) => like(key, p)), `a write on ${key}`).toBe(true);
  });

  it("grants the webhook role exactly the statements the intake policy declares", () => {
    expect(allowing("dynamodb:GetItem", "JOB#1")).toHaveLength(1);
    expect(allowing("dynamodb:PutItem", "META#rerun-backend:1:x")).toEqual([]);
    expect(allowing("dynamodb:GetItem", "META#rerun-backend:1:x")).toEqual([]);
    expect(allowing("dynamodb:GetItem", "QDEAD#1")).toEqual([]);
    expect(allowing("dynamodb:DeleteItem", "JOB#1")).toEqual([]);
    // The sweeper's memory (docs/scale-out.md) is the sweep function's: the webhook neither reads nor writes it.
    expect(allowing("dynamodb:GetItem", "REDELIVERY")).toEqual([]);
    expect(allowing("dynamodb:UpdateItem", "REDELIVERY")).toEqual([]);
    expect(allowing("dynamodb:PutItem", "RUNS#octo/widgets")).toEqual([]);
  });
});
