import { DescribeClustersCommand, ECSClient } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentServer, type SilentServer } from "../../test/support/silent-server.js";
import { networkFailure } from "../core/network-errors.js";
import { awsClientConfig } from "./aws-client-config.js";
import { awsErrorToLaunchError } from "./launch-errors.js";

describe("awsClientConfig against an endpoint that takes requests and never answers", () => {
  let silent: SilentServer;
  beforeAll(async () => {
    silent = await silentServer();
  });
  afterAll(() => silent.close());

  it("cuts each try off at its deadline, lets the SDK try again, and fails as a transient timeout", async () => {
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
    const ecs = new ECSClient(awsClientConfig({ region: "us-east-1", endpoint: silent.url, credentials, requestTimeoutMs: 200, maxAttempts: 2 }));
    try {
      const e = await ecs.send(new DescribeClustersCommand({ clusters: ["c"] })).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(networkFailure(e)?.kind).toBe("timeout");
      expect(silent.requests).toEqual(["POST /", "POST /"]);
      expect(awsErrorToLaunchError("ECS", "DescribeClusters", e).kind).toBe("transient");
    } finally {
      ecs.destroy();
    }
  });
});
