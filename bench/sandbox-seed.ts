/** Wall time of `tornade sandbox` (the seed workflow end to end, default speed), as a user runs it. */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { round } from "./stats.js";

const BIN = resolve(import.meta.dirname, "../bin/tornade.js");

export async function benchSandboxSeed(): Promise<number> {
  const started = performance.now();
  const code = await new Promise<number | null>((r) => {
    const child = spawn(process.execPath, [BIN, "sandbox", "--json"], { stdio: ["ignore", "ignore", "ignore"] });
    child.once("exit", (c) => r(c));
  });
  if (code !== 0) throw new Error(`tornade sandbox exited with ${code}`);
  return round((performance.now() - started) / 1000, 2);
}
