// Every configuration problem at once, the same in serve, check and explain --config (issue 12 point 5): the real
// binary, a person's view — stderr or the check list, and the exit code.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runTornadeCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-cli-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The example: a schema problem, a private key problem, and what serve then misses. */
const broken = { APP_ID: "abc", SECRET_KEY_PEM: "garbage", TORNADE_SUBNETS: "" };
const expected = [
  /APP_ID \(github\.appId\): .*expected number/,
  /SECRET_KEY_PEM \(github\.privateKey\): it is neither PEM text/,
  /github\.webhookSecret: missing/,
  /aws\.region: missing/,
  /aws: no backend configured/,
];

describe("every configuration problem at once", () => {
  it("tornade serve names them all and exits 1", async () => {
    const r = await runTornadeCli(["serve", "--port", "0"], { cwd: dir, env: broken });
    expect(r.code).toBe(1);
    for (const m of expected) expect(r.stderr).toMatch(m);
  });

  it("tornade serve reports a bad log level with the others, naming the levels", async () => {
    const r = await runTornadeCli(["serve", "--port", "0"], { cwd: dir, env: { ...broken, TORNADE_LOG_LEVEL: "loud" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TORNADE_LOG_LEVEL \(logLevel\): .*Fix: trace, debug, info, warn or error/);
    for (const m of expected) expect(r.stderr).toMatch(m);
  });

  it("tornade check lists each as a failed check", async () => {
    const r = await runTornadeCli(["check", "--json"], { cwd: dir, env: broken });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string; detail: string }[] };
    expect(out.ok).toBe(false);
    const failed = out.checks.filter((c) => c.status === "fail" && c.name === "configuration").map((c) => c.detail);
    expect(failed).toHaveLength(expected.length);
    expected.forEach((m, i) => expect(failed[i]).toMatch(m));
  });

  it("tornade explain --config names every problem of what it reads", async () => {
    writeFileSync(join(dir, "bad.yaml"), "workers: { concurrency: many }\ndefaults: { cpu: 3 }\nlimits: { maxCodeBuildSize: huge }\n");
    const r = await runTornadeCli(["explain", "--labels", "self-hosted,tornade", "--config", "bad.yaml"], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/workers\.concurrency in .*bad\.yaml: .*expected number/);
    expect(r.stderr).toMatch(/limits\.maxCodeBuildSize in .*bad\.yaml: .*Fix: small, medium, large, xlarge or 2xlarge/);
    expect(r.stderr).toMatch(/defaults\.cpu in .*bad\.yaml: 3 is not a Fargate vCPU value/);
  });
});
