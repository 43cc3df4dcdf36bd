/** The listener settings: defaults, the operator token rules, and the token kept out of every printed form. */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadConfig, REDACTED } from "./index.js";
import { isLoopbackHost } from "./listener-checks.js";

/** A runnable configuration, so the only problems reported are the listeners'. */
const env = {
  PERSONAL_TOKEN: "ghp_x",
  TORNADE_WEBHOOK_SECRET: "s3cret-hook",
  TORNADE_AWS_REGION: "us-east-1",
  TORNADE_ECS_CLUSTER: "c",
  TORNADE_SUBNETS: "subnet-1",
  TORNADE_TASK_DEFINITION_X86_64: "td",
};
const problems = (e: Record<string, string>): string[] => {
  try {
    loadConfig({ ...env, ...e });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
};
const TOKEN = "a".repeat(32);

describe("listener configuration", () => {
  it("defaults: public on every interface at 8080 with 256 KiB bodies and 256 connections; operator on 127.0.0.1:9090", () => {
    const c = loadConfig(env);
    expect(c.server).toEqual({ port: 8080, host: "0.0.0.0", bodyLimitBytes: 262_144, maxConnections: 256, requestTimeoutSeconds: 10, headersTimeoutSeconds: 5, idleTimeoutSeconds: 5 });
    expect(c.admin).toEqual({ port: 9090, host: "127.0.0.1" });
    expect(c.launch.confirmOlderThanSeconds).toBe(300);
  });

  it("refuses an operator listener off loopback without a token, or with a short one, naming the fix", () => {
    expect(problems({ TORNADE_ADMIN_HOST: "0.0.0.0" })).toEqual([expect.stringMatching(/^TORNADE_ADMIN_HOST \(admin\.host\): "0\.0\.0\.0" is not a loopback address.*Fix: set TORNADE_ADMIN_TOKEN/)]);
    expect(problems({ TORNADE_ADMIN_HOST: "10.0.0.5", TORNADE_ADMIN_TOKEN: "short" })).toEqual([expect.stringMatching(/^TORNADE_ADMIN_TOKEN \(admin\.token\): 5 characters; at least 32/)]);
    // A short token is refused on loopback too: it would be believed to protect something.
    expect(problems({ TORNADE_ADMIN_TOKEN: "short" })).toHaveLength(1);
    expect(problems({ TORNADE_ADMIN_HOST: "0.0.0.0", TORNADE_ADMIN_TOKEN: TOKEN })).toEqual([]);
    expect(problems({ TORNADE_ADMIN_HOST: "::1" })).toEqual([]);
  });

  it("refuses the same port for both listeners and a headers timeout past the request timeout", () => {
    expect(problems({ PORT: "9090" })).toEqual([expect.stringMatching(/admin\.port: 9090 is also the public port/)]);
    expect(problems({ TORNADE_HEADERS_TIMEOUT_SECONDS: "20" })).toEqual([expect.stringMatching(/server\.headersTimeoutSeconds.*longer than server\.requestTimeoutSeconds/)]);
  });

  it("knows loopback when it sees it", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "LOCALHOST"]) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "localhost.example.com", "127.0.0.1.nip.io"]) expect(isLoopbackHost(h), h).toBe(false);
  });

  it("never prints the operator token", () => {
    const c = loadConfig({ ...env, TORNADE_ADMIN_TOKEN: "operator-token-that-is-long-enough-xyz" });
    for (const text of [JSON.stringify(c), JSON.stringify(c.admin), inspect(c, { depth: 5 }), JSON.stringify(describeConfig(c))]) {
      expect(text).not.toContain("operator-token-that-is-long-enough-xyz");
      expect(text).toContain(REDACTED);
    }
    expect(c.admin.token).toBe("operator-token-that-is-long-enough-xyz");
  });
});
