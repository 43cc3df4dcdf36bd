/**
 * For tests and local runs only: DynamoDB (dynalite) and SQS (fauxqs@1.9) in this process on 127.0.0.1, port 0,
 * reached through the real AWS SDK clients. Never imported by a production path (both are devDependencies).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createTornadeTable } from "../../src/store/dynamodb-table.js";

/** Any credentials: neither emulator checks them, but the SDK must sign. */
export const LOCAL_AWS = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } } as const;

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** A fresh table with tornade's layout; each call makes a new one so tests do not share state. */
  newTable(prefix?: string): Promise<string>;
  close(): Promise<void>;
}

type DynaliteFactory = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

export async function startLocalDynamo(): Promise<LocalDynamo> {
  // dynalite is CommonJS without types.
  const dynalite = createRequire(import.meta.url)("dynalite") as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  return {
    endpoint,
    client,
    async newTable(prefix = "tornade") {
      const name = `${prefix}-${randomUUID().slice(0, 8)}`;
      await createTornadeTable(client, name);
      return name;
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface LocalSqs {
  readonly endpoint: string;
  readonly client: SQSClient;
  /** A fresh standard queue; returns its URL. */
  newQueue(prefix?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startLocalSqs(): Promise<LocalSqs> {
  // buildApp rather than startFauxqs: startFauxqs listens on 0.0.0.0, and tests stay on 127.0.0.1.
  const { buildApp } = await import("fauxqs");
  const app = buildApp({ logger: false, host: "127.0.0.1" });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const endpoint = address;
  const client = new SQSClient({ ...LOCAL_AWS, endpoint });
  return {
    endpoint,
    client,
    async newQueue(prefix = "tornade-work") {
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `${prefix}-${randomUUID().slice(0, 8)}` }));
      if (!QueueUrl) throw new Error("fauxqs CreateQueue answered without a QueueUrl");
      return QueueUrl;
    },
    async close() {
      client.destroy();
      await app.close();
    },
  };
}
