// A standing test bed (`npm run testbed -- --port-file F --speed 60`) and a separate `tornade serve --testbed F`, both
// real processes: one flag is all serve needs — endpoints, App, secret, AWS names, and the test bed's compressed clock.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../testbed/until.js";
import type { PortFile } from "../../testbed/cli.js";
import { freePort } from "../support/tornade-process.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SPEED = 60;
const dir = mkdtempSync(join(tmpdir(), "tornade-serve-testbed-"));
const portFile = join(dir, "bed.json");
const procs: ChildProcess[] = [];
let out = "";
let bed: PortFile;
let url: string;
let adminUrl: string;

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env: { PATH: process.env["PATH"] ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  procs.push(child);
  return child;
}

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const adminPort = await freePort();
  adminUrl = `http://127.0.0.1:${adminPort}`;
  start([join(ROOT, "bin/run-ts.js"), join(ROOT, "testbed/cli.ts"), "--port-file", portFile, "--speed", String(SPEED), "--webhook-url", `${url}/events`]);
  bed = await until("the port file", () => {
    try {
      return JSON.parse(readFileSync(portFile, "utf8")) as PortFile;
    } catch {
      return undefined;
    }
  }, 30_000);
  // Nothing but the flag (and where to keep the store): no APP_ID, no secret, no AWS names or credentials.
  start([join(ROOT, "bin/tornade.js"), "serve", "--testbed", portFile, "--port", String(port), "--admin-port", String(adminPort)], { TORNADE_STORE_PATH: join(dir, "tornade.db") });
  await until("tornade to answer /healthz", async () => {
    try {
      return (await fetch(`${url}/healthz`)).ok || undefined;
    } catch {
      return undefined;
    }
  }, 30_000);
}, 70_000);

afterAll(async () => {
  for (const p of procs.reverse()) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The simulated GitHub's time: its Date header is in the test bed's clock (whole seconds). */
async function bedTime(): Promise<number> {
  const res = await fetch(`${bed.github.url}/_control/stats`);
  return Date.parse(res.headers.get("date") ?? "");
}

describe("tornade serve --testbed FILE", () => {
  it("keeps the test bed's compressed clock, and says so on the dashboard", async () => {
    expect(bed.clock.speed).toBe(SPEED);
    const before = await bedTime();
    const state = (await (await fetch(`${adminUrl}/api/state`)).json()) as { now: number; clock: { speed: number; simulated: boolean } };
    const after = await bedTime();
    expect(state.clock).toEqual({ speed: SPEED, simulated: true });
    // Read between two readings of the test bed's clock (the Date header drops milliseconds): the same time. On the
    // wall clock it would be minutes behind after the seconds both processes took to start at 60×.
    expect(state.now).toBeGreaterThanOrEqual(before);
    expect(state.now).toBeLessThan(after + 1000);
  });

  it("runs a job queued on the standing test bed to success", async () => {
    const res = await fetch(`${bed.github.url}/_control/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jobs: [{ name: "standing", labels: ["self-hosted", "tornade", "runs-on=FARGATE", "arch=ARM64"], durationSeconds: 300 }] }),
    });
    expect(res.status).toBe(201);
    const jobId = ((await res.json()) as { jobs: { id: number }[] }).jobs[0]?.id;
    const job = await until("the job to complete", async () => {
      const j = (await (await fetch(`${bed.github.url}/_control/jobs/${jobId}`)).json()) as { status: string; conclusion: string | null; runner_name: string | null };
      return j.status === "completed" ? j : undefined;
    }, 60_000);
    expect(job).toMatchObject({ conclusion: "success", runner_name: `tornade-${jobId}-1` });
    expect(out).not.toMatch(/"level":50/);
  });
});
