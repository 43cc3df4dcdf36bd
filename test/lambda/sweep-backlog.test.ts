/**
 * The sweep function keeps its redelivery backlog in the DynamoDB table, not in the execution environment: a backlog
 * larger than one invocation may redeliver (150) is finished by the next invocation in another environment — the rest
 * are older than the log's stored watermark, so only the table still knows them — and no delivery is asked for twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepHandler } from "../../src/lambda/sweep.js";
import { webhookHandler } from "../../src/lambda/webhook.js";
import { startFunctionUrl, type FunctionUrl } from "./local-aws-lambda.js";
import { startWorld, type World } from "./world.js";

const FAILED = 160;
const PER_ROUND = 150;
const REDELIVER = "POST /app/hook/deliveries/{delivery_id}/attempts";
let w: World;
let url: FunctionUrl;

beforeAll(async () => {
  w = await startWorld(100);
  url = await startFunctionUrl(webhookHandler(await w.intakeServices()));
  w.bed.github.control.setWebhookUrl(`${url.url}/events`);
});
afterAll(async () => {
  await url?.close();
  await w?.close();
});

describe("the sweep function's redelivery backlog", () => {
  it("is carried from one execution environment to the next in the table, each delivery redelivered once", { timeout: 120_000 }, async () => {
    const gh = w.bed.github.control;
    const quiet = () => {};
    // An environment's first sweep: the log holds nothing failed yet, and its watermark is stored.
    await sweepHandler(await w.services(), quiet)();
    gh.dropDeliveries(FAILED, { record: true });
    const runs = Array.from({ length: FAILED }, (_, i) => gh.createRun({ jobs: [{ name: `backlog-${i}`, labels: ["self-hosted", "elsewhere"], durationSeconds: 60 }] }));
    const asked = () => gh.stats().requests[REDELIVER] ?? 0;
    try {
      await gh.deliveriesIdle();
      const before = asked();
      expect((await sweepHandler(await w.services(), quiet)()).redelivered).toBe(PER_ROUND);
      await gh.deliveriesIdle();
      // A fresh environment, nothing in memory: the rest come from the table.
      expect((await sweepHandler(await w.services(), quiet)()).redelivered).toBe(FAILED - PER_ROUND);
      await gh.deliveriesIdle();
      expect((await sweepHandler(await w.services(), quiet)()).redelivered).toBe(0);
      expect(asked() - before).toBe(FAILED);
      const ids = new Set(runs.map((r) => Number(r.jobs[0]?.id)));
      const taken = gh.listDeliveries().filter((d) => d.redelivery && d.jobId !== null && ids.has(d.jobId) && d.statusCode >= 200 && d.statusCode < 300);
      expect(new Set(taken.map((d) => d.guid)).size).toBe(FAILED);
    } finally {
      for (const run of runs) gh.cancelRun(run.id);
    }
  });
});
