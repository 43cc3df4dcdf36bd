/**
 * The sweeper's memory, per store, beyond the contract: an existing SQLite file gains its tables on start, and neither
 * store lets it grow without bound (SQLite deletes old runs; DynamoDB items carry a TTL).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { scaledClock } from "../clock/clock.js";
import { startLocalDynamo, type LocalDynamo } from "../../test/support/local-aws.js";
import { dynamoDbStore } from "./dynamodb-store.js";
import { openDatabase } from "./sqlite-driver.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./sqlite.js";

/** How many migrations ran before the one that added the sweeper's tables (the fifth). */
const SWEEPER_STEP = 4;
import { sqliteStore } from "./sqlite-store.js";
import { sampleJob } from "./store.contract.js";
import { FAILED_DELIVERY_TTL_MS } from "./sweeper-memory.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-sweeper-memory-"));
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = 1_700_000_000_000;
const HOUR = 3600_000;

describe("sqlite", () => {
  it("adds the sweeper's tables to a file written before them, keeping what it held", async () => {
    const path = join(dir, "before.db");
    // The schema as it was before the sweeper's tables: the shipped steps 1–4, at version 4 (later steps, which may
    // alter tables, are left for the store to apply).
    const raw = openDatabase(path);
    raw.pragma("journal_mode = WAL");
    for (const step of MIGRATIONS.slice(0, SWEEPER_STEP)) {
      if (typeof step === "string") raw.exec(step);
      else step(raw);
    }
    raw.pragma(`user_version = ${SWEEPER_STEP}`);
    raw.prepare(
      `INSERT INTO jobs (id, run_id, run_attempt, repository, owner, repo, installation_id, labels, name, workflow_name, status,
         conclusion, runner_name, decision, created_at, received_at, updated_at, version, started_at)
       VALUES (1, 1, 1, 'octo/widgets', 'octo', 'widgets', 77, '["self-hosted","tornade"]', 'build 1', 'CI', 'queued', NULL, NULL,
         NULL, 1000, 1001, 1002, 1, NULL)`,
    ).run();
    raw.close();

    const store = sqliteStore(path, scaledClock(1, NOW));
    expect(Number(store.handle.db.pragma("user_version", { simple: true }))).toBe(SCHEMA_VERSION);
    expect((await store.getJob(1))?.name).toBe("build 1");
    await store.followFailedDeliveries([{ guid: "g", deliveryId: 1, action: "queued", foundAt: NOW, attempts: 0, triedAt: null }]);
    expect(await store.listFailedDeliveries()).toHaveLength(1);
    await store.close();
  });

  it("deletes a repository's runs not looked at within the time kept when it remembers runs", async () => {
    const store = sqliteStore(join(dir, "prune.db"), scaledClock(1, NOW));
    await store.rememberRuns("octo/widgets", [{ runId: 1, lookedAt: NOW - 2 * HOUR, settled: true }], 24 * HOUR);
    await store.rememberRuns("octo/other", [{ runId: 3, lookedAt: NOW - 2 * HOUR, settled: true }], 24 * HOUR);
    await store.rememberRuns("octo/widgets", [{ runId: 2, lookedAt: NOW, settled: true }], HOUR);
    const rows = store.handle.db.prepare("SELECT repository, run_id FROM looked_at_runs ORDER BY run_id").all();
    expect(rows).toEqual([
      { repository: "octo/widgets", run_id: 2 },
      { repository: "octo/other", run_id: 3 },
    ]);
    await store.close();
  });
});

describe("dynamodb", () => {
  it("gives every item of the sweeper's memory a TTL, so DynamoDB forgets what the sweeper does not", async () => {
    const table = await dynamo.newTable();
    const store = dynamoDbStore({ client: dynamo.client, table, clock: scaledClock(1, NOW) });
    await store.followFailedDeliveries([{ guid: "g", deliveryId: 1, action: "queued", foundAt: NOW, attempts: 0, triedAt: null }]);
    await store.rememberRuns("octo/widgets", [{ runId: 7, lookedAt: NOW, settled: true }], 24 * HOUR);
    const ttl = async (pk: string) => {
      const { Items } = await dynamo.client.send(new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: pk } } }));
      return Items?.map((i) => Number(i["ttl"]?.N));
    };
    expect(await ttl("REDELIVERY")).toEqual([Math.floor((NOW + FAILED_DELIVERY_TTL_MS) / 1000)]);
    expect(await ttl("RUNS#octo/widgets")).toEqual([Math.floor((NOW + 24 * HOUR) / 1000)]);
  });
});
