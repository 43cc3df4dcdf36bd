// `tornade check` spawned for real against a standing test bed (simulated GitHub and AWS in this process): all pass,
// then one thing broken at a time, each seen as its failing check with the fix, and exit 1.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import type { CheckResult } from "./result.js";
import { spawnTornade, testbedEnv } from "../../test/support/bed-tornade.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-check-"));
let bed: TestBed;
let env: Record<string, string>;

beforeAll(async () => {
  // Real time: the spawned tornade signs its App JWT with the system clock, as in production.
  bed = await startTestBed({ runnerLog: () => {} });
  env = testbedEnv(bed, { TORNADE_ALLOWED_REPOSITORIES: `${bed.github.owner}/${bed.github.repo}` });
});
afterAll(async () => {
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

const check = (overrides: Record<string, string> = {}, args: string[] = []) => spawnTornade(["check", ...args], { ...env, ...overrides }, dir);
const failing = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("FAIL"));

describe("tornade check", () => {
  it("passes every check against a correctly configured test bed", async () => {
    const r = await check();
    // stderr may carry the AWS SDK's own Node-version notice; never an error of tornade's.
    expect(r.stderr).not.toMatch(/tornade check:/);
    expect(failing(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const d = bed.description();
    for (const line of [
      "PASS  configuration: valid",
      "PASS  github: App credentials:",
      `PASS  github: installation ${d.github.installationId} (${d.github.owner}) token: minted`,
      `PASS  github: repository ${d.github.owner}/${d.github.repo}: runners readable`,
      `PASS  aws: ECS cluster ${d.aws.cluster}: ACTIVE`,
      `PASS  aws: task definition ${d.aws.taskDefinitions.X86_64} (X86_64)`,
      `PASS  aws: task definition ${d.aws.taskDefinitions.ARM64} (ARM64)`,
      `PASS  aws: CodeBuild project ${d.aws.codebuildProject}`,
    ]) {
      expect(r.stdout).toContain(line);
    }
    expect(r.stdout).toMatch(/all \d+ checks passed/);
  });

  it("never prints a secret", async () => {
    const r = await check({}, ["--json"]);
    const pemBody = bed.github.privateKeyPem.split("\n")[1] ?? "";
    expect(r.stdout).not.toContain(pemBody);
    expect(r.stdout).not.toContain(bed.github.webhookSecret);
    expect(r.stdout).not.toMatch(/ghs_/);
  });

  it("answers JSON with --json", async () => {
    const r = await check({}, ["--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; checks: CheckResult[] };
    expect(out.ok).toBe(true);
    expect(out.checks.length).toBeGreaterThanOrEqual(8);
    expect(out.checks.every((c) => c.status === "pass")).toBe(true);
  });

  it("fails on an unknown cluster, with the fix", async () => {
    const r = await check({ TORNADE_ECS_CLUSTER: "no-such-cluster" });
    expect(r.code).toBe(1);
    expect(failing(r.stdout)).toEqual(["FAIL  aws: ECS cluster no-such-cluster: not found (MISSING)"]);
    expect(r.stdout).toMatch(/FAIL {2}aws: ECS cluster no-such-cluster: not found \(MISSING\)\n {6}fix: create it .*or set TORNADE_ECS_CLUSTER/);
    expect(r.stdout).toMatch(/1 of \d+ checks failed/);
  });

  it("fails on a private key that is not the App's", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const r = await check({ SECRET_KEY_PEM: Buffer.from(other).toString("base64") });
    expect(r.code).toBe(1);
    expect(failing(r.stdout)).toEqual([expect.stringMatching(/^FAIL {2}github: App credentials: GitHub refused the App's JWT/)]);
    expect(r.stdout).toMatch(/fix: check that APP_ID \(\d+\) is the App's ID and SECRET_KEY_PEM its current private key/);
  });

  it("fails on a task definition of the wrong arch, a missing CodeBuild project and a repository without the App", async () => {
    const d = bed.description();
    const r = await check({
      TORNADE_TASK_DEFINITION_ARM64: d.aws.taskDefinitions.X86_64,
      TORNADE_CODEBUILD_PROJECT_ARM64: "no-such-project",
      TORNADE_ALLOWED_REPOSITORIES: `${d.github.owner}/${d.github.repo},${d.github.owner}/not-installed`,
    });
    expect(r.code).toBe(1);
    expect(failing(r.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^FAIL {2}github: repository ${d.github.owner}/not-installed: the App is not installed on it`)),
      `FAIL  aws: task definition ${d.aws.taskDefinitions.X86_64} (ARM64): its runtimePlatform.cpuArchitecture is X86_64`,
      "FAIL  aws: CodeBuild project no-such-project: not found",
    ]);
    expect(r.stdout).toContain("fix: set aws.taskDefinitions.ARM64 to a task definition with cpuArchitecture ARM64");
  });

  it("reports configuration problems with their keys and fixes", async () => {
    const r = await check({ TORNADE_WORKERS: "many" });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}configuration: TORNADE_WORKERS \(workers\.concurrency\): .*\n {6}fix: a whole number from 1 to 256/m);
  });

  it("fails when nothing is configured", async () => {
    const r = await spawnTornade(["check"], {}, dir);
    expect(r.code).toBe(1);
    // Every missing piece at once, each with its fix.
    expect(r.stdout).toMatch(/FAIL {2}configuration: github credentials: none given/);
    expect(r.stdout).toMatch(/FAIL {2}configuration: aws: no backend configured/);
  });
});
