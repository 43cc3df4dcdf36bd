/**
 *   node bin/run-ts.js bench/heap.ts [--jobs N] [--dir DIR]
 *
 * Where `tornade serve`'s memory goes under load: queues N jobs (default 300) at 20 a second real on a 20× clock, then
 * asks the child for a V8 heap snapshot (--heapsnapshot-signal) and prints the reachable heap by constructor or node
 * type. The RSS is read before the snapshot: writing one inflates the process by its own size. The .heapsnapshot stays
 * in DIR for Chrome DevTools.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SEED_LABEL_SETS } from "./steady.js";
import { sleep, waitFor } from "./stats.js";
import { childUsage, startWorld } from "./world.js";

const args = parseArgs({ options: { jobs: { type: "string" }, dir: { type: "string" } }, strict: true }).values;
const jobs = Number(args.jobs ?? 300);
const dir = resolve(args.dir ?? join(tmpdir(), `tornade-heap-${Date.now()}`));
mkdirSync(dir, { recursive: true });
const world = await startWorld({ speed: 20, webhooks: true, nodeArgs: ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${dir}`] });
const gh = world.bed.github.control;
for (let i = 0; i < jobs; i++) {
  gh.createRun({ workflowName: "w", jobs: [{ name: `j${i}`, labels: ["self-hosted", "tornade", `h-${i}`, ...SEED_LABEL_SETS[i % 5]!], durationSeconds: 30 }] });
  await sleep(50);
}
const pid = world.proc.child.pid!;
console.log(`RSS under load ${(await childUsage(pid)).rssMb.toFixed(1)} MB after ${jobs} jobs`);
world.proc.child.kill("SIGUSR2");
// The file appears when the child starts writing it: done when its size stops moving.
const snapshotSize = () => {
  const f = readdirSync(dir).find((x) => x.endsWith(".heapsnapshot"));
  return f ? statSync(join(dir, f)).size : 0;
};
let last = -1;
await waitFor(async () => {
  const size = snapshotSize();
  const settled = size > 0 && size === last;
  last = size;
  await sleep(500);
  return settled;
}, 120_000);
await world.close();
const file = readdirSync(dir).filter((f) => f.endsWith(".heapsnapshot")).sort().pop()!;
const snap = JSON.parse(readFileSync(join(dir, file), "utf8")) as { snapshot: { meta: { node_fields: string[]; node_types: (string | string[])[] } }; nodes: number[]; strings: string[] };
const f = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0] as string[];
const [ti, ni, si] = [f.indexOf("type"), f.indexOf("name"), f.indexOf("self_size")];
const by = new Map<string, number>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += f.length) {
  const type = types[snap.nodes[i + ti]!]!;
  const name = type === "object" || type === "closure" ? snap.strings[snap.nodes[i + ni]!]! : `(${type})`;
  const size = snap.nodes[i + si]!;
  total += size;
  by.set(name, (by.get(name) ?? 0) + size);
}
console.log(`heap ${(total / 1048576).toFixed(1)} MB (self sizes) in ${file}`);
for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${(v / 1048576).toFixed(2).padStart(7)} MB  ${k.slice(0, 80)}`);
process.exit(0);
