/** Runs the real `bin/tornade.js` the way a person would, and captures what they would see. */
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = join(root, "bin/tornade.js");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A clean environment: nothing of the developer's shell leaks in, so "no configuration" means none. */
export function runTornadeCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: opts.cwd, env: { PATH: process.env["PATH"], ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}
