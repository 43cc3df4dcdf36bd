import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
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

  it("reads a launch item written before outcomes were typed (state in error.kind) as its typed outcome, until rewritten", async () => {
    const table = await dynamo.newTable();
    const store = dynamoDbStore({ client: dynamo.client, table, clock: scaledClock(1) });
    await store.putLaunch(sampleLaunch(7, 1, { state: "running" }));
    const key = { pk: { S: "JOB#7" }, sk: { S: "LAUNCH#0000000000000001" } };
    const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: key }));
    // As the earlier code wrote it: no outcome attribute, the taking kept as an error with the sibling's id.
    const { outcome: _none, ...old } = Item!;
    const legacy = { kind: "taken-by-sibling", message: "its runner took job 8, an identical sibling", takenBy: 8 };
    await dynamo.client.send(new PutItemCommand({ TableName: table, Item: { ...old, error: { S: JSON.stringify(legacy) } } }));
    const read = await store.getLaunch("7-1");
    expect(read).toMatchObject({ state: "running", error: null, outcome: { kind: "taken", jobId: 8, refused: null } });
    // The next write (the tracker keeping the taking as it stops) stores the typed outcome; the old error no longer counts.
    const stopped = await store.updateLaunch("7-1", read!.version, { state: "stopped", outcome: read!.outcome, spotInterrupted: true });
    expect(stopped).toMatchObject({ error: null, outcome: { kind: "taken", jobId: 8, refused: null }, spotInterrupted: true });
  });

  it("rejects a cursor it did not issue, and an unparseable launch id, with actionable answers", async () => {
    const store = dynamoDbStore({ client: dynamo.client, table: await dynamo.newTable(), clock: scaledClock(1) });
    await expect(store.listJobs({ cursor: "garbage" })).rejects.toThrow(/start again without a cursor/);
    expect(await store.getLaunch("not-a-launch")).toBeUndefined();
    await expect(store.updateLaunch("x", 1, { state: "running" })).rejects.toMatchObject({ name: "VersionConflict", actual: null });
  });
});
