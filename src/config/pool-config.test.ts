import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { poolSetupOf } from "../controller/pool.js";
import { ConfigError, loadConfig } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-pool-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

/** A runnable production environment (App, Fargate on both arches, CodeBuild on x86_64 only). */
const prod: NodeJS.ProcessEnv = {
  APP_ID: "12345",
  SECRET_KEY_PEM: Buffer.from(pem).toString("base64"),
  TORNADE_WEBHOOK_SECRET: "hook",
  TORNADE_AWS_REGION: "ap-northeast-1",
  TORNADE_ECS_CLUSTER: "runners",
  TORNADE_SUBNETS: "subnet-a",
  TORNADE_TASK_DEFINITION_X86_64: "runner-x64:3",
  TORNADE_TASK_DEFINITION_ARM64: "runner-arm64:3",
  TORNADE_CODEBUILD_PROJECT_X86_64: "runner",
};
const where = { TORNADE_POOL_OWNER: "acme", TORNADE_POOL_REPO: "app", TORNADE_POOL_INSTALLATION_ID: "77" };

function problems(env: NodeJS.ProcessEnv, file?: string): string[] {
  try {
    loadConfig(env, file);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe("the pool section", () => {
  it("is empty by default: static runners are managed outside tornade", () => {
    const config = loadConfig(prod);
    expect(config.pool.runners).toEqual([]);
    expect(poolSetupOf(config)).toBeUndefined();
  });

  it("reads the environment's shorthand, schedule and target into PoolManager deps", () => {
    const config = loadConfig({
      ...prod,
      ...where,
      TORNADE_POOL: "FARGATE/X86_64=2, fargate_spot/arm64=1, CODEBUILD=3",
      TORNADE_POOL_TIME_ZONE: "Asia/Tokyo",
      TORNADE_POOL_SCHEDULE: "Mon-Fri 08:00-20:00; Sat 10:00-14:00",
      TORNADE_POOL_BOOT_TIMEOUT_SECONDS: "300",
    });
    const setup = poolSetupOf(config);
    const schedule = {
      timeZone: "Asia/Tokyo",
      windows: [
        { days: [1, 2, 3, 4, 5], from: 480, to: 1200 },
        { days: [6], from: 600, to: 840 },
      ],
    };
    expect(setup).toEqual({
      target: { installationId: 77, owner: "acme", repo: "app", scope: "repo" },
      runnerGroupId: 1,
      pools: [
        { backend: "FARGATE", arch: "X86_64", size: 2, schedule },
        { backend: "FARGATE_SPOT", arch: "ARM64", size: 1, schedule },
        // No arch: the configured default.
        { backend: "CODEBUILD", arch: "X86_64", size: 3, schedule },
      ],
      policy: { bootTimeoutMs: 300_000 },
      intervalMs: 30_000,
    });
  });

  it("takes per-pool schedules from a file, [] meaning always, and org runners in their group", () => {
    const path = join(dir, "pool.yaml");
    writeFileSync(
      path,
      [
        "github: { runnerScope: org, runnerGroupId: 4 }",
        "pool:",
        "  owner: acme",
        "  installationId: 77",
        "  schedule: ['Mon-Fri 09:00-18:00']",
        "  runners:",
        "    - { backend: FARGATE, arch: X86_64, size: 1 }",
        "    - { backend: FARGATE, arch: ARM64, size: 1, schedule: [] }",
      ].join("\n"),
    );
    const setup = poolSetupOf(loadConfig(prod, path));
    expect(setup?.target).toEqual({ installationId: 77, owner: "acme", repo: "", scope: "org" });
    expect(setup?.runnerGroupId).toBe(4);
    expect(setup?.pools.map((p) => p.schedule?.windows.length)).toEqual([1, undefined]);
  });

  it.each([
    [{ TORNADE_POOL: "FARGATE/X86_64=two" }, /TORNADE_POOL \(pool\.runners\.0\): .*Fix: .*BACKEND\/ARCH=SIZE/],
    [{ TORNADE_POOL: "EC2/X86_64=1" }, /TORNADE_POOL \(pool\.runners\.0\.backend\): .*Fix: FARGATE, FARGATE_SPOT or CODEBUILD/],
    [{ TORNADE_POOL: "FARGATE/X86_64=101" }, /pool\.runners\.0\.size.*Fix: a whole number of runners from 0 to 100/],
    [{ TORNADE_POOL: "FARGATE=1", TORNADE_POOL_SCHEDULE: "weekdays 9-5" }, /TORNADE_POOL_SCHEDULE \(pool\.schedule\.0\): "weekdays 9-5" is not a schedule window/],
    [{ TORNADE_POOL: "FARGATE=1", TORNADE_POOL_TIME_ZONE: "Tokyo" }, /TORNADE_POOL_TIME_ZONE \(pool\.timeZone\): not a time zone.*Fix: an IANA time zone/],
    [{ TORNADE_POOL: "CODEBUILD/ARM64=1" }, /TORNADE_POOL \(pool\.runners\.0\): CODEBUILD on ARM64 is not configured/],
    [{ TORNADE_POOL: "FARGATE/X86_64=1,fargate/x86_64=2" }, /FARGATE\/X86_64 is listed twice/],
  ])("refuses %o, naming the key and the fix", (env, message) => {
    const found = problems({ ...prod, ...where, ...env });
    expect(found.some((p) => message.test(p)), found.join("\n")).toBe(true);
  });

  it("a pool needs its owner, repository and installation", () => {
    const found = problems({ ...prod, TORNADE_POOL: "FARGATE=1" });
    expect(found).toEqual([
      expect.stringMatching(/^TORNADE_POOL_OWNER \(pool\.owner\)|^pool\.owner: missing/),
      expect.stringMatching(/pool\.repo.*Fix: set TORNADE_POOL_REPO/),
      expect.stringMatching(/pool\.installationId.*Fix: set TORNADE_POOL_INSTALLATION_ID/),
    ]);
    // A pool of size 0 still needs to know where to drain.
    expect(problems({ ...prod, TORNADE_POOL: "FARGATE=0" })).toHaveLength(3);
  });
  it("refuses a pool larger than the runner limits, which count pool runners too", () => {
    const found = problems({ ...prod, ...where, TORNADE_POOL: "FARGATE/X86_64=2,FARGATE/ARM64=2,CODEBUILD=1", TORNADE_MAX_RUNNERS: "4", TORNADE_MAX_RUNNERS_FARGATE: "3" });
    expect(found).toEqual([
      expect.stringMatching(/pool\.runners.*add up to 5 runners, more than limits\.maxRunners \(4\).*Fix: shrink the pool, or raise TORNADE_MAX_RUNNERS/),
      expect.stringMatching(/pool\.runners.*FARGATE pools add up to 4 runners, more than limits\.perBackend\.FARGATE \(3\).*Fix: .*TORNADE_MAX_RUNNERS_FARGATE/),
    ]);
    // At the limits exactly, it is the operator's choice: no room is left for per-job runners of those backends.
    expect(problems({ ...prod, ...where, TORNADE_POOL: "FARGATE/X86_64=2,FARGATE/ARM64=1,CODEBUILD=1", TORNADE_MAX_RUNNERS: "4", TORNADE_MAX_RUNNERS_FARGATE: "3" })).toEqual([]);
  });
});
