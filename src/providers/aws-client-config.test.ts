import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeClustersCommand, ECSClient } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { networkFailure } from "../core/network-errors.js";
import { awsClientConfig } from "./aws-client-config.js";
import { awsErrorToLaunchError } from "./launch-errors.js";

describe("awsClientConfig against an endpoint that takes requests and never answers", () => {
  let silent: Server;
  let endpoint: string;
  let seen = 0;
  beforeAll(async () => {
    silent = createServer(() => void seen++);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  });

  it("cuts each try off at its deadline, lets the SDK try again, and fails as a transient timeout", async () => {
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
    const ecs = new ECSClient(awsClientConfig({ region: "us-east-1", endpoint, credentials, requestTimeoutMs: 200, maxAttempts: 2 }));
    try {
      const e = await ecs.send(new DescribeClustersCommand({ clusters: ["c"] })).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(networkFailure(e)?.kind).toBe("timeout");
      expect(seen).toBe(2);
      expect(awsErrorToLaunchError("ECS", "DescribeClusters", e).kind).toBe("transient");
    } finally {
      ecs.destroy();
    }
  });
});
