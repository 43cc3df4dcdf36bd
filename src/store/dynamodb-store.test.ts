import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { scaledClock } from "../clock/clock.js";
import { startLocalDynamo, type LocalDynamo } from "../../test/support/local-aws.js";
import { dynamoDbStore } from "./dynamodb-store.js";
import { sampleJob, sampleLaunch, storeContract } from "./store.contract.js";

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

storeContract("dynamodb (dynalite)", async () => {
  const clock = scaledClock(100);
  const store = dynamoDbStore({ client: dynamo.client, table: await dynamo.newTable(), clock });
  return { store, clock, cleanup: () => store.close() };
});

describe("dynamodb store specifics", () => {
  it("never writes a secret a caller's launch object happens to carry", async () => {
    const table = await dynamo.newTable();
    const store = dynamoDbStore({ client: dynamo.client, table, clock: scaledClock(1) });
    const secret = "eyJKSVQtQ09ORklHLVNFQ1JFVCJ9-do-not-store";
    await store.putLaunch({ ...sampleLaunch(1, 1), jitConfig: secret, token: secret } as Parameters<typeof store.putLaunch>[0]);
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: "JOB#1" }, sk: { S: "LAUNCH#0000000000000001" } } }),
    );
    expect(JSON.stringify(Item)).toContain("tornade-1-1");
    expect(JSON.stringify(Item)).not.toContain(secret);
  });

  it("lets two stores on one table race on insert-if-absent and versions with one winner each (two replicas)", async () => {
    const table = await dynamo.newTable();
    const clock = scaledClock(1);
    const a = dynamoDbStore({ client: dynamo.client, table, clock });
    const b = dynamoDbStore({ client: dynamo.client, table, clock });
    expect([await a.createJobIfAbsent(sampleJob(1)), await b.createJobIfAbsent(sampleJob(1))]).toEqual([true, false]);
    await a.updateJob(1, 1, { status: "in_progress" });
    await expect(b.updateJob(1, 1, { status: "completed" })).rejects.toMatchObject({ actual: 2 });
    expect((await b.listJobs({ status: "in_progress" })).jobs.map((j) => j.id)).toEqual([1]);
    expect((await b.listJobs({ status: "queued" })).jobs).toEqual([]);
  });

  it("rejects a cursor it did not issue, and an unparseable launch id, with actionable answers", async () => {
    const store = dynamoDbStore({ client: dynamo.client, table: await dynamo.newTable(), clock: scaledClock(1) });
    await expect(store.listJobs({ cursor: "garbage" })).rejects.toThrow(/start again without a cursor/);
    expect(await store.getLaunch("not-a-launch")).toBeUndefined();
    await expect(store.updateLaunch("x", 1, { state: "running" })).rejects.toMatchObject({ name: "VersionConflict", actual: null });
  });
});
