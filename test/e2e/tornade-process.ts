/** `tornade serve` as a real child process against an in-process test bed: for restart and crash tests. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import type { TestBed } from "../../testbed/index.js";
import { testBedEnv } from "../../src/sandbox/sandbox.js";
import { until } from "./helpers.js";

const BIN = resolve(import.meta.dirname, "../../bin/tornade.js");

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

export interface TornadeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** Starts `tornade serve` configured through the environment for `bed`, and waits for /healthz. */
export async function startTornade(
  bed: TestBed,
  opts: { port: number; storePath: string; clock: { speed: number; origin: number }; env?: Record<string, string> },
): Promise<TornadeProcess> {
  const env = {
    PATH: process.env["PATH"] ?? "",
    ...testBedEnv(bed),
    PORT: String(opts.port),
    TORNADE_STORE_PATH: opts.storePath,
    TORNADE_CLOCK_SPEED: String(opts.clock.speed),
    TORNADE_CLOCK_ORIGIN: String(opts.clock.origin),
    // The AWS SDK's own credential variables; the simulated AWS accepts any signature.
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...opts.env,
  };
  const child = spawn(process.execPath, [BIN, "serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((r) => child.once("exit", (code, signal) => r(code ?? signal ?? "unknown")));
  const url = `http://127.0.0.1:${opts.port}`;
  await until(
    "tornade serve to answer /healthz",
    async () => {
      if (child.exitCode !== null) throw new Error(`tornade serve exited early:\n${out}`);
      try {
        return (await fetch(`${url}/healthz`)).ok ? true : undefined;
      } catch {
        return undefined;
      }
    },
    30_000,
  );
  return { child, url, output: () => out, exited };
}
