/**
 * `tornade serve` as a real child process against an in-process test bed: for restart and crash tests and for the
 * chaos run (bench/chaos), which all need the controller in its own process so SIGKILL means what it means in
 * production.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import type { TestBed } from "../../testbed/index.js";
import { testBedEnv } from "../../src/sandbox/sandbox.js";
import { SERVE_ENV } from "../../src/config/node-options.js";

const BIN = resolve(import.meta.dirname, "../../bin/tornade.js");

/** How much of the child's output `output()` keeps: enough for a failure message, bounded for long chaos runs. */
const OUTPUT_TAIL_CHARS = 1 << 20;

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port ?? 0;
}

/** A free loopback port other than `taken` (the system may hand out a port just released again). */
async function freePortBut(taken: number): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port !== taken) return port;
  }
}

/**
 * `n` free loopback ports, all different: each is held until all are found. Asked one at a time, the system may hand
 * out a port just released again (a chaos run once got the same port for the public and operator listeners).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, "127.0.0.1", r))));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface TornadeProcess {
  readonly child: ChildProcess;
  /** The public listener: POST /events, GET /healthz. */
  readonly url: string;
  /** The operator listener: the dashboard, /api/state, /metrics. */
  readonly adminUrl: string;
  /** The last megabyte the process wrote to stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export interface TornadeProcessOptions {
  port: number;
  /** The operator listener's port; default a free one, chosen here. */
  adminPort?: number;
  storePath: string;
  /** The test bed's shared clock (src/clock/clock.ts sharedClock): same speed and origin in both processes. */
  clock: { speed: number; origin: number };
  /** Extra environment, overriding the test bed's. */
  env?: Record<string, string>;
  /** Also append everything the process writes to this file (kept open until the process exits). */
  logFile?: string;
  /** Extra flags for node itself, before the script (e.g. `--cpu-prof`, which NODE_OPTIONS does not allow). */
  nodeArgs?: string[];
  /** Real milliseconds to wait for /healthz; default 30 s. */
  readyTimeoutMs?: number;
  /** The `tornade` launcher to run; default this repository's bin/tornade.js (an installed package's, in package tests). */
  bin?: string;
}

/** Starts `tornade serve` configured through the environment for `bed`, and waits for /healthz. */
export async function startTornade(bed: TestBed, opts: TornadeProcessOptions): Promise<TornadeProcess> {
  const adminPort = opts.adminPort ?? (await freePortBut(opts.port));
  const env = {
    PATH: process.env["PATH"] ?? "",
    ...testBedEnv(bed),
    PORT: String(opts.port),
    TORNADE_HOST: "127.0.0.1",
    TORNADE_ADMIN_PORT: String(adminPort),
    TORNADE_STORE_PATH: opts.storePath,
    TORNADE_CLOCK_SPEED: String(opts.clock.speed),
    TORNADE_CLOCK_ORIGIN: String(opts.clock.origin),
    // The AWS SDK's own credential variables; the simulated AWS accepts any signature.
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    // The chaos run and the benchmarks burst hundreds of jobs at once to measure throughput and recovery, not the
    // cost ceiling of 50 runners (test/e2e/limits.test.ts covers that): lifted here, still overridable per run.
    TORNADE_MAX_RUNNERS: "100000",
    // What a deployed `serve` runs with (the container images set it): memory measured is what production takes.
    ...SERVE_ENV,
    ...opts.env,
  };
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.bin ?? BIN, "serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  const log: WriteStream | undefined = opts.logFile ? createWriteStream(opts.logFile, { flags: "a" }) : undefined;
  let out = "";
  const collect = (d: Buffer) => {
    out += d.toString();
    if (out.length > 2 * OUTPUT_TAIL_CHARS) out = out.slice(-OUTPUT_TAIL_CHARS);
    log?.write(d);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | string>((r) =>
    child.once("exit", (code, signal) => {
      log?.end();
      r(code ?? signal ?? "unknown");
    }),
  );
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`tornade serve exited early:\n${out.slice(-6000)}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`timed out waiting for tornade serve to answer /healthz:\n${out.slice(-6000)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, url, adminUrl: `http://127.0.0.1:${adminPort}`, output: () => out.slice(-OUTPUT_TAIL_CHARS), exited };
}
