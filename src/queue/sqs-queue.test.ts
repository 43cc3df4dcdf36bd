import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { scaledClock } from "../clock/clock.js";
import { startLocalDynamo, startLocalSqs, type LocalDynamo, type LocalSqs } from "../../test/support/local-aws.js";
import { queueContract } from "./queue.contract.js";
import { sqsQueue } from "./sqs-queue.js";
import { secondsOf } from "./sqs-time.js";

let dynamo: LocalDynamo;
let sqs: LocalSqs;
beforeAll(async () => {
  [dynamo, sqs] = await Promise.all([startLocalDynamo(), startLocalSqs()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), sqs.close()]);
});

async function fresh(maxAttempts = 5, speed = 1) {
  const clock = scaledClock(speed);
  const queueUrl = await sqs.newQueue();
  const table = await dynamo.newTable();
  const queue = sqsQueue({ sqs: sqs.client, queueUrl, dynamo: dynamo.client, table, clock, maxAttempts });
  return { queue, clock, queueUrl, table };
}

// SQS resolves whole real seconds, so the contract runs on a real-time clock with 1-second steps (about 30 s in all).
queueContract("sqs (fauxqs) + dynamodb (dynalite)", async ({ maxAttempts }) => {
  const { queue, clock } = await fresh(maxAttempts);
  return { queue, clock, cleanup: () => queue.close(), resolutionMs: 1000 * clock.speed };
});

describe("sqs queue specifics", () => {
  it("converts clock milliseconds to SQS seconds: real time, rounded up, within SQS's limits", () => {
    expect(secondsOf(100, 1, 1, 43_200)).toBe(1);
    expect(secondsOf(0, 1, 0, 900)).toBe(0);
    expect(secondsOf(60_000, 60, 0, 900)).toBe(1);
    expect(secondsOf(3_600_000, 1, 0, 900)).toBe(900);
    expect(secondsOf(10 ** 9, 1, 1, 43_200)).toBe(43_200);
  });

  it("sends no second message for a key whose pending item is already due no later", async () => {
    const { queue, queueUrl } = await fresh();
    for (let i = 0; i < 5; i++) await queue.enqueue({ key: "job:1", kind: "reconcile", payload: i });
    const raw = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    expect(raw.Messages ?? []).toHaveLength(1);
    expect(await queue.receive(10, 60_000)).toMatchObject([{ key: "job:1", payload: 4, attempts: 1 }]);
  });

  it("drops a message no item is waiting for (left by a crash between send and write), and foreign bodies", async () => {
    const { queue } = await fresh();
    await queue.enqueue({ key: "job:1", kind: "reconcile" });
    const [item] = await queue.receive(1, 60_000);
    await queue.ack(item!.receiptHandle);
    const outcomes = await queue.claim(
      [
        { messageId: "m-stale", receiptHandle: "h-stale", body: JSON.stringify({ key: "job:1", at: 0 }), receiveCount: 1 },
        { messageId: "m-foreign", receiptHandle: "h-foreign", body: "hello", receiveCount: 1 },
      ],
      60_000,
    );
    expect(outcomes).toEqual([{ kind: "dropped" }, { kind: "dropped" }]);
    expect(await queue.depth()).toEqual({ pending: 0, inFlight: 0, dead: 0 });
  });

  it("lets one of two replicas' concurrent receives take an item and never both", async () => {
    const { queue, clock, queueUrl, table } = await fresh();
    const other = sqsQueue({ sqs: sqs.client, queueUrl, dynamo: dynamo.client, table, clock });
    for (let i = 0; i < 12; i++) await queue.enqueue({ key: `job:${i}`, kind: "reconcile", payload: { jobId: i } });
    // A burst for one key from the other replica coalesces into the same pending item.
    for (let i = 0; i < 3; i++) await other.enqueue({ key: "job:0", kind: "reconcile", payload: { jobId: 0 } });
    const got = (await Promise.all([queue.receive(10, 60_000), other.receive(10, 60_000), queue.receive(10, 60_000)])).flat();
    expect(got.map((i) => i.key).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `job:${i}`).sort());
  });
});
