/**
 * `tornade serve --store dynamodb --queue sqs`, replicated: two tornade servers on one DynamoDB table and one SQS
 * queue, GitHub's deliveries split between them by an alternating proxy (and 20 sent twice, so a duplicate lands on
 * the other replica), through a burst of 50 jobs. No job may be lost and none launched twice — counted in the store
 * and in the RunTask / StartBuild calls the AWS simulator answered.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { loadConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/logger.js";
import { testBedEnv } from "../../src/sandbox/sandbox.js";
import { runTornade, type RunningTornade } from "../../src/server/run.js";
import { startLocalDynamo, startLocalSqs, type LocalDynamo, type LocalSqs } from "../support/local-aws.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { until } from "../lambda/world.js";

const SPEED = 100;
const JOBS = 50;
const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

let bed: TestBed;
let dynamo: LocalDynamo;
let sqs: LocalSqs;
let replicas: RunningTornade[] = [];
let proxy: Server;
const perReplica = [0, 0];

beforeAll(async () => {
  const clock = scaledClock(SPEED);
  [bed, dynamo, sqs] = await Promise.all([
    startTestBed({ clock, runnerLog: () => {}, github: { runnerLostAfterMs: 30 * 60_000 } }),
    startLocalDynamo(),
    startLocalSqs(),
  ]);
  const env = {
    ...testBedEnv(bed),
    PORT: "0",
    TORNADE_HOST: "127.0.0.1",
    TORNADE_ADMIN_PORT: "0",
    TORNADE_STORE: "dynamodb",
    TORNADE_DYNAMODB_TABLE: await dynamo.newTable(),
    TORNADE_DYNAMODB_ENDPOINT: dynamo.endpoint,
    TORNADE_QUEUE: "sqs",
    TORNADE_SQS_QUEUE_URL: await sqs.newQueue(),
    TORNADE_SQS_ENDPOINT: sqs.endpoint,
  };
  // The same configuration as `tornade serve --store dynamodb --queue sqs` reads from these variables.
  const config = loadConfig(env);
  for (let i = 0; i < 2; i++) {
    replicas.push(await runTornade(config, { clock, logger: silentLogger, awsCredentials: CREDENTIALS, trackIntervalMs: 5_000 }));
  }
  let next = 0;
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = next++ % 2;
      perReplica[target]!++;
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith("x-") || k === "content-type")) as Record<string, string>;
      fetch(`${replicas[target]!.url}${req.url ?? "/"}`, { method: req.method ?? "POST", headers, body: Buffer.concat(chunks) })
        .then(async (r) => res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text()))
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  bed.github.control.setWebhookUrl(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/events`);
});

afterAll(async () => {
  bed?.github.control.setWebhookUrl(null);
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await Promise.all(replicas.map((r) => r.close()));
  await bed?.close();
  await Promise.all([dynamo?.close(), sqs?.close()]);
}, 60_000);

it("runs a burst of 50 jobs on two replicas with none lost and none launched twice", { timeout: 120_000 }, async () => {
  bed.github.control.duplicateDeliveries(20);
  const backends = ["runs-on=FARGATE_SPOT", "runs-on=FARGATE", "runs-on=CODEBUILD", "runs-on=FARGATE,arch=ARM64"];
  const run = bed.github.control.createRun({
    workflowName: "burst",
    jobs: Array.from({ length: JOBS }, (_, i) => ({
      name: `job ${i}`,
      labels: ["self-hosted", "tornade", ...backends[i % backends.length]!.split(",")],
      durationSeconds: 30,
    })),
  });
  const ids = run.jobs.map((j) => Number(j.id));
  await until(
    "every job completed on GitHub",
    () => (ids.every((id) => bed.github.control.getJob(id)?.status === "completed") ? true : undefined),
    100_000,
  );

  const store = replicas[0]!.built.store;
  const launchesPerJob = await Promise.all(ids.map(async (id) => (await store.listLaunches(id)).length));
  expect(launchesPerJob.filter((n) => n !== 1)).toEqual([]);
  const calls = bed.aws.control.stats().calls;
  expect((calls["ecs.RunTask"] ?? 0) + (calls["codebuild.StartBuild"] ?? 0)).toBe(JOBS);
  expect(bed.github.control.listJobs({ runId: run.id }).every((j) => j.conclusion === "success")).toBe(true);
  // GitHub's queued, in_progress and completed for every job, 20 of them twice: all answered, half by each replica.
  const deliveries = await until(
    "every delivery answered",
    () => {
      const d = bed.github.control.listDeliveries().filter((x) => x.event === "workflow_job");
      return d.length >= 3 * JOBS + 20 ? d : undefined;
    },
    100_000,
  );
  expect(deliveries.filter((d) => d.duplicate).length).toBe(20);
  expect(Math.min(perReplica[0]!, perReplica[1]!)).toBeGreaterThanOrEqual((3 * JOBS + 20) / 2 - 1);
  expect(deliveries.every((d) => d.statusCode === 200 || d.statusCode === 202)).toBe(true);
});
