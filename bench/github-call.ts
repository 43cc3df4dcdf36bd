/**
 *   node bin/run-ts.js bench/github-call.ts [--calls N] [--json FILE]
 *
 * What one GitHub call costs tornade beyond the call itself, side by side in one run: N sequential
 * generate-jitconfig POSTs (a launch's one GitHub call) and N GETs of the runner list against the GitHub simulator, made
 * - with fetch alone (the floor: HTTP and the simulator);
 * - with bare @octokit/core;
 * - with tornade's client (createGitHubClients: core, the paginate plugin and src/github/call-policy.ts);
 * - with @octokit/core + plugin-retry + plugin-throttling, as tornade's client was built until 2026-12-06
 *   (Bottleneck in both: docs/performance.md "Where each target stands").
 * Prints a table and JSON (latency p50 / p99 in ms per kind of call).
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Octokit } from "@octokit/core";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import Bottleneck from "bottleneck";
import { scaledClock } from "../src/clock/clock.js";
import { createGitHubClients } from "../src/github/auth.js";
import { startGitHubSim } from "../testbed/github/index.js";
import { percentile, round } from "./stats.js";

const args = parseArgs({ options: { calls: { type: "string" }, json: { type: "string" } }, strict: true }).values;
const N = Number(args.calls ?? 300);

const clock = scaledClock(1);
// GitHub's limits off: this measures the client, not the pacing (a few thousand calls in a minute).
const sim = await startGitHubSim({ clock, limits: { pointsPerMinute: 1e9, primaryPerHour: 1e9 } });
const tornade = createGitHubClients({ auth: { kind: "app", appId: sim.appId, privateKeyPem: sim.privateKeyPem }, baseUrl: sim.url, clock, writeSpacingMs: 0 });
const installation = tornade.forInstallation(sim.installationId);
const { token } = (await installation.auth({ type: "installation" })) as { token: string };
const core = new Octokit({ auth: token, baseUrl: sim.url });
const plugged = Octokit.plugin(retry, throttling);
const clients: [string, (route: string, params: Record<string, unknown>) => Promise<unknown>][] = [
  ["fetch, no client", (route, params) => viaFetch(route, params)],
  ["@octokit/core", (route, params) => core.request(route, params)],
  ["tornade's client", (route, params) => installation.request(route, params)],
  ["core + retry + throttling (before)", (route, params) => pluggedClient.request(route, params)],
];
// As tornade configured it: its own write group with no spacing (the controller paces launches itself).
const pluggedClient = new plugged({
  auth: token,
  baseUrl: sim.url,
  throttle: { onRateLimit: () => false, onSecondaryRateLimit: () => false, write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }) },
});

async function viaFetch(route: string, params: Record<string, unknown>): Promise<unknown> {
  const [method, path] = route.split(" ") as [string, string];
  const url = sim.url + path.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k]));
  const body = method === "GET" ? undefined : JSON.stringify(Object.fromEntries(Object.entries(params).filter(([k]) => !path.includes(`{${k}}`))));
  const res = await fetch(url, { method, headers: { authorization: `token ${token}`, accept: "application/vnd.github+json", "content-type": "application/json" }, ...(body ? { body } : {}) });
  return res.json();
}

let seq = 0;
const calls: Record<string, () => [string, Record<string, unknown>]> = {
  "POST generate-jitconfig": () => ["POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig", { owner: sim.owner, repo: sim.repo, name: `probe-${++seq}`, runner_group_id: 1, labels: ["self-hosted"] }],
  "GET runners": () => ["GET /repos/{owner}/{repo}/actions/runners", { owner: sim.owner, repo: sim.repo, per_page: 1 }],
};

const results: Record<string, Record<string, { p50Ms: number; p99Ms: number }>> = {};
for (const [kind, make] of Object.entries(calls)) {
  for (const [name, call] of clients) {
    for (let i = 0; i < 20; i++) await call(...make());
    const ms: number[] = [];
    for (let i = 0; i < N; i++) {
      const [route, params] = make();
      const t = performance.now();
      await call(route, params);
      ms.push(performance.now() - t);
    }
    process.stderr.write(`${kind} ${name} done\n`);
    (results[kind] ??= {})[name] = { p50Ms: round(percentile(ms, 50), 2), p99Ms: round(percentile(ms, 99), 2) };
  }
}
await sim.close();

const width = Math.max(...clients.map(([n]) => n.length));
const lines = [`${"".padEnd(width)}  ${Object.keys(calls).map((k) => `${k} p50 / p99 ms`.padEnd(40)).join("")}`];
for (const [name] of clients) {
  lines.push(`${name.padEnd(width)}  ${Object.keys(calls).map((k) => `${results[k]![name]!.p50Ms} / ${results[k]![name]!.p99Ms}`.padEnd(40)).join("")}`);
}
process.stdout.write(`${lines.join("\n")}\n${N} calls each, sequential, after 20 unmeasured\n${JSON.stringify(results)}\n`);
if (args.json) writeFileSync(args.json, `${JSON.stringify({ calls: N, results }, null, 2)}\n`);
process.exit(0);
