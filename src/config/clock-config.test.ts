import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./index.js";
import { MINIMAL_SERVE_ENV } from "../../test/support/config-env.js";

const testBed = MINIMAL_SERVE_ENV;

describe("clock and launch settings", () => {
  it("accepts a compressed clock against a test bed on loopback", () => {
    const c = loadConfig({
      ...testBed,
      TORNADE_GITHUB_BASE_URL: "http://127.0.0.1:4000",
      TORNADE_AWS_ENDPOINT: "http://127.0.0.1:4001",
      TORNADE_CLOCK_SPEED: "100",
      TORNADE_CLOCK_ORIGIN: "1700000000000",
    });
    expect(c.clock).toEqual({ speed: 100, origin: 1_700_000_000_000 });
  });

  it("refuses a compressed clock against real GitHub or AWS, naming the variable to remove", () => {
    expect(() => loadConfig({ ...testBed, TORNADE_CLOCK_SPEED: "100" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...testBed, TORNADE_CLOCK_SPEED: "100" })).toThrow(/TORNADE_CLOCK_SPEED/);
  });

  it("reads the launch policy with its defaults", () => {
    expect(loadConfig(testBed).launch).toEqual({ maxAttempts: 5, spotFallback: true, inFlightTimeoutSeconds: 120, bootTimeoutSeconds: 600, idleTimeoutSeconds: 300, confirmOlderThanSeconds: 300, spotRerun: true, rerunBackend: "FARGATE" });
    const c = loadConfig({ ...testBed, TORNADE_SPOT_FALLBACK: "false", TORNADE_MAX_LAUNCH_ATTEMPTS: "2", TORNADE_LAUNCH_TIMEOUT_SECONDS: "30" });
    expect(c.launch).toMatchObject({ maxAttempts: 2, spotFallback: false, inFlightTimeoutSeconds: 30 });
  });
});
