// `tornade sandbox` and `tornade serve` as a person runs them: the real binary, its output and exit codes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runTornadeCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-sandbox-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tornade = (args: string[], env?: NodeJS.ProcessEnv) => runTornadeCli(args, { cwd: dir, env: env ?? {} });

interface SandboxJson {
  jobs: { name: string; labels: string[]; outcome: string; backend: string | null; arch: string | null; launches: number; reason: string | null; warm: boolean | null; pickupSeconds: number | null }[];
  totals: Record<string, number>;
}

describe("tornade sandbox", () => {
  it("runs the seed workflow: five jobs complete on their backends, the static one is not launched", async () => {
    const r = await tornade(["sandbox", "--json", "--speed", "300"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as SandboxJson;
    const byName = Object.fromEntries(out.jobs.map((j) => [j.name, j]));
    expect(Object.keys(byName).sort()).toEqual(["codebuild_arm64", "codebuild_x86", "fargate_arm64", "fargate_spot", "fargate_x86", "static"]);
    expect(byName["fargate_x86"]).toMatchObject({ outcome: "completed", backend: "FARGATE", arch: "X86_64", launches: 1 });
    expect(byName["fargate_arm64"]).toMatchObject({ outcome: "completed", backend: "FARGATE", arch: "ARM64", launches: 1 });
    expect(byName["fargate_spot"]).toMatchObject({ outcome: "completed", backend: "FARGATE_SPOT", launches: 1 });
    expect(byName["codebuild_x86"]).toMatchObject({ outcome: "completed", backend: "CODEBUILD", arch: "X86_64", launches: 1 });
    expect(byName["codebuild_arm64"]).toMatchObject({ outcome: "completed", backend: "CODEBUILD", arch: "ARM64", launches: 1 });
    expect(byName["static"]).toMatchObject({ outcome: "not-launched", launches: 0, backend: null });
    expect(byName["static"]?.reason).toMatch(/static/);
    // The run id placeholder became the simulated run's id.
    expect(byName["fargate_x86"]?.labels[2]).toMatch(/^\d+$/);
    expect(out.totals).toMatchObject({ jobs: 6, completed: 5, notLaunched: 1, rejected: 0, launches: 5, leftoverTasks: 0, leftoverRunners: 0, stoppedAtTimeLimit: false });
    // Progress went to stderr, one line per job as it settled.
    expect(r.stderr.match(/\[\d\/6\]/g)).toHaveLength(6);
  });

  it("runs a scenario file, naming each instance of a counted job, and shows rejections with their reason", async () => {
    const file = join(dir, "scenario.json");
    writeFileSync(
      file,
      JSON.stringify({
        jobs: [
          { name: "matrix", labels: ["self-hosted", "tornade", "${{ github.run_id }}", "runs-on=FARGATE_SPOT", "arch=arm64"], durationSeconds: 60, count: 3 },
          { name: "typo", labels: ["self-hosted", "tornade", "runs-on=FARGATE_SPOTT"], durationSeconds: 60 },
          { name: "elsewhere", labels: ["ubuntu-latest"], durationSeconds: 60 },
        ],
      }),
    );
    const r = await tornade(["sandbox", "--scenario", file, "--json", "--speed", "300"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as SandboxJson;
    expect(out.jobs.map((j) => j.name)).toEqual(["matrix#1", "matrix#2", "matrix#3", "typo", "elsewhere"]);
    for (const j of out.jobs.slice(0, 3)) expect(j).toMatchObject({ outcome: "completed", backend: "FARGATE_SPOT", arch: "ARM64", launches: 1 });
    expect(out.jobs[3]).toMatchObject({ outcome: "rejected", launches: 0 });
    expect(out.jobs[3]?.reason).toMatch(/runs-on=FARGATE_SPOTT/);
    expect(out.jobs[4]).toMatchObject({ outcome: "not-launched", launches: 0 });
  });

  it("prints a table by default", async () => {
    const file = join(dir, "one.json");
    writeFileSync(file, JSON.stringify({ jobs: [{ name: "one", labels: ["self-hosted", "tornade"], durationSeconds: 30 }] }));
    const r = await tornade(["sandbox", "--scenario", file, "--speed", "300"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^job\s+outcome\s+backend\s+arch\s+launches/m);
    expect(r.stdout).toMatch(/^one\s+completed\s+FARGATE\s+X86_64\s+1/m);
  });

  it("refuses a bad scenario with exit 2, naming the file and every bad field or the line and column, without the usage text", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ jobs: [{ name: "x", labels: [], durationSeconds: 60 }, { name: "", labels: ["a"] }] }));
    const r = await tornade(["sandbox", "--scenario", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tornade sandbox: --scenario .*bad\.json: jobs\.0\.labels: .*; jobs\.1\.name: .*\. Fix: write \{"jobs"/);
    const syntax = join(dir, "syntax.json");
    writeFileSync(syntax, '{"jobs": [\n  {"name": "a", "labels": ["self-hosted"],}\n]}\n');
    const s = await tornade(["sandbox", "--scenario", syntax]);
    expect(s.code).toBe(2);
    expect(s.stderr).toBe(`tornade sandbox: --scenario ${syntax}:2:43: not valid JSON: expected a property name in double quotes, found "}"\n`);
    const missing = await tornade(["sandbox", "--scenario", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tornade sandbox: --scenario ${join(dir, "nope.json")}: cannot read it: no such file (ENOENT)\n`);
    for (const bad of [r, s, missing]) expect(bad.stderr).not.toMatch(/usage:/);
    const flag = await tornade(["sandbox", "--time-limit", "0s"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--time-limit must be a simulated duration above zero/);
  });

  it("turns standbys on from the scenario: jobs of their shape start warm, on a standby, and sooner than a cold one", async () => {
    const file = join(dir, "standby.json");
    const fargate = (arch: string) => ["self-hosted", "tornade", "runs-on=FARGATE", `arch=${arch}`];
    writeFileSync(file, JSON.stringify({ standby: "FARGATE/X86_64=2", jobs: [{ name: "warm", labels: fargate("X86_64"), durationSeconds: 30, count: 2 }, { name: "cold", labels: fargate("ARM64"), durationSeconds: 30 }] }));
    const r = await tornade(["sandbox", "--scenario", file, "--json"]);
    expect(r.code).toBe(0);
    // Pickup times mean something only on a slow clock: a scenario with standbys defaults to 10x.
    expect(r.stderr).toMatch(/clock 10x \(the default for 3 jobs with standbys\)/);
    const out = JSON.parse(r.stdout) as Omit<SandboxJson, "totals"> & { totals: { pickup: { warm: { jobs: number; p50S: number }; cold: { jobs: number; p50S: number } } } };
    expect(out.jobs.map((j) => [j.name, j.outcome, j.warm, j.launches])).toEqual([
      ["warm#1", "completed", true, 1],
      ["warm#2", "completed", true, 1],
      ["cold", "completed", false, 1],
    ]);
    expect(out.totals.pickup.warm.jobs).toBe(2);
    expect(out.totals.pickup.cold.jobs).toBe(1);
    // The cold job waited for a boot (about 30 s simulated in the test bed's fixed profile); the warm ones did not.
    expect(out.totals.pickup.warm.p50S).toBeLessThan(out.totals.pickup.cold.p50S);
    // The standbys still waiting at the end are no leftovers.
    expect(out.totals).toMatchObject({ leftoverTasks: 0, leftoverRunners: 0 });
  });

  it("says when a run stops at its simulated time limit, what was left, and suggests a lower --speed", async () => {
    const file = join(dir, "long.json");
    writeFileSync(file, JSON.stringify({ jobs: [{ name: "long", labels: ["self-hosted", "tornade"], durationSeconds: 3600, count: 2 }] }));
    const r = await tornade(["sandbox", "--scenario", file, "--json", "--speed", "300", "--time-limit", "2m"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as SandboxJson;
    expect(out.totals).toMatchObject({ jobs: 2, pending: 2, timeLimitSeconds: 120, stoppedAtTimeLimit: true });
    expect(r.stderr).toMatch(/time limit 2m simulated/);
    expect(r.stderr).toMatch(
      /tornade sandbox: the run stopped at its simulated time limit of 2m \(--time-limit\) with 2 of 2 jobs still pending; \d+ tasks\/builds and \d+ runners were left behind\. At 300x .*Fix: run it again with a lower --speed, e\.g\. --speed \d+, or a longer --time-limit/,
    );
  });
});

describe("tornade serve", () => {
  it("stops at start on a bad configuration value, naming the key and the fix", async () => {
    const r = await tornade(["serve"], { APP_ID: "12", SECRET_KEY_PEM: "not a key", TORNADE_WEBHOOK_SECRET: "s", TORNADE_AWS_REGION: "us-east-1" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SECRET_KEY_PEM/);
    expect(r.stderr).toMatch(/Fix:/);
  });

  it("explains its options", async () => {
    const r = await tornade(["serve", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--sandbox/);
  });
});

describe("tornade serve with no configuration", () => {
  it("refuses to start, naming everything to set and the --sandbox way to try it", async () => {
    const r = await runTornadeCli(["serve", "--port", "0"], { cwd: dir, env: {} });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/github credentials: none given/);
    expect(r.stderr).toMatch(/aws: no backend configured/);
    expect(r.stderr).toMatch(/Nothing is configured\..*tornade serve --sandbox/s);
    expect(r.stdout).toBe("");
  });
});

describe("tornade serve --sandbox (npm start on a fresh clone)", () => {
  it("serves the sandbox, says so loudly, queues the seed workflow, and stops cleanly on SIGTERM", async () => {
    const { spawn } = await import("node:child_process");
    const { join: j } = await import("node:path");
    const bin = j(import.meta.dirname, "../../bin/tornade.js");
    const child = spawn(process.execPath, [bin, "serve", "--sandbox", "--port", "0", "--admin-port", "0", "--speed", "300"], {
      cwd: dir,
      env: { PATH: process.env["PATH"] },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const deadline = Date.now() + 30_000;
    let url: string | undefined;
    let adminUrl: string | undefined;
    while (!(url && adminUrl) && Date.now() < deadline) {
      url = /tornade: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
      adminUrl = /operator: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stderr).toMatch(/\*\*\* SANDBOX \*\*\*/);
    expect(url).toBeDefined();
    // The public listener says only that it is alive; the operator one says it is a sandbox.
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    expect((await fetch(`${url}/api/state`)).status).toBe(404);
    const state = (await (await fetch(`${adminUrl}/api/state`)).json()) as { sandbox: boolean };
    expect(state.sandbox).toBe(true);
    // The seed workflow runs: its jobs are taken in and runners launched (the structured log says so).
    while (!/"msg":"runner launched"/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stdout).toMatch(/"msg":"runner launched"/);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
