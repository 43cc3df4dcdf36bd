/**
 * Intake: signed `workflow_job` deliveries fired at `tornade serve` (a child process, durable SQLite on disk) from
 * this process over loopback, open loop at fixed offered rates; each answer's latency from the moment its request
 * was written. The jobs carry `type=static` and tornade has no pool, so they are stored and queued but launch nothing:
 * what is measured is the path GitHub waits on (verify, parse, durable write, answer).
 */
import { createHmac, randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { idleRuntime } from "../testbed/runtime.js";
import { percentile, round, waitFor } from "./stats.js";
import { monotonicUs, realNow, startWorld, type World } from "./world.js";

export interface IntakeStage {
  offeredRate: number;
  requests: number;
  achievedRate: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
}

export interface IntakeResult {
  p50Ms: number;
  p99Ms: number;
  maxRate: number;
  /** The stage the headline p50/p99 come from (1,000/s). */
  at: number;
  stages: IntakeStage[];
}

/** A stage is sustained when every delivery was acknowledged 2xx, the offered rate was kept, and p99 stayed bounded. */
const SUSTAINED_P99_MS = 100;

export interface IntakeOptions {
  rates: number[];
  seconds: number;
  progress: (s: string) => void;
  /** Extra node flags for the tornade child (bench/profile.ts --stage intake passes --cpu-prof). */
  nodeArgs?: string[];
  /** Told the measured span (after the warm-up) on the monotonic clock, in µs. */
  onMeasured?: (window: { fromUs: number; toUs: number }) => void;
  /** Told the tornade child's pid once it answers (bench/stalls.ts reads its probe's file). */
  onChild?: (pid: number) => void;
  /** Another build's bin/tornade.js to run (bench/stalls.ts --bin). */
  bin?: string;
}

export async function benchIntake(opts: IntakeOptions): Promise<IntakeResult> {
  const world = await startWorld({ speed: 1, webhooks: false, runtime: idleRuntime(), ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}), ...(opts.bin ? { bin: opts.bin } : {}) });
  try {
    opts.onChild?.(world.proc.child.pid ?? 0);
    const template = await capturedQueuedBody(world);
    const agent = new Agent({ keepAlive: true, maxSockets: 256 });
    const stages: IntakeStage[] = [];
    let nextId = 900_000_000;
    // Warm-up, not reported: both processes' JIT compilers and the SQLite page cache.
    await fire(world.proc.url, agent, Array.from({ length: 300 }, () => sign(world.bed.github.webhookSecret, withJobId(template, nextId++))), 300);
    await new Promise((r) => setTimeout(r, 500));
    const fromUs = monotonicUs();
    for (const rate of opts.rates) {
      const n = Math.max(50, Math.round(rate * opts.seconds));
      const bodies = Array.from({ length: n }, () => sign(world.bed.github.webhookSecret, withJobId(template, nextId++)));
      const stage = await fire(world.proc.url, agent, bodies, rate);
      stages.push(stage);
      opts.progress(`  intake ${rate}/s: p50 ${stage.p50Ms} ms, p99 ${stage.p99Ms} ms, achieved ${stage.achievedRate}/s, ${stage.errors} errors`);
      // Let tornade's workers drain what the stage queued before the next one starts.
      await new Promise((r) => setTimeout(r, 1_000));
    }
    opts.onMeasured?.({ fromUs, toUs: monotonicUs() });
    agent.destroy();
    const headline = stages.find((s) => s.offeredRate === 1000) ?? stages[stages.length - 1]!;
    const sustained = stages.filter((s) => s.errors === 0 && s.achievedRate >= 0.95 * s.offeredRate && s.p99Ms <= SUSTAINED_P99_MS);
    return {
      p50Ms: headline.p50Ms,
      p99Ms: headline.p99Ms,
      maxRate: sustained.length ? Math.max(...sustained.map((s) => s.achievedRate)) : 0,
      at: headline.offeredRate,
      stages,
    };
  } finally {
    await world.close();
  }
}

/** One real `workflow_job` queued body as the GitHub sim sends it (caught once, then varied by job id). */
async function capturedQueuedBody(world: World): Promise<Record<string, unknown>> {
  let body: string | undefined;
  const catcher = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString();
      if (req.headers["x-github-event"] === "workflow_job" && text.includes('"queued"')) body ??= text;
      res.writeHead(200);
      res.end("{}");
    });
  });
  await new Promise<void>((r) => catcher.listen(0, "127.0.0.1", r));
  try {
    world.bed.github.control.setWebhookUrl(`http://127.0.0.1:${(catcher.address() as AddressInfo).port}/`);
    world.bed.github.control.createRun({ workflowName: "intake", jobs: [{ name: "probe", labels: ["self-hosted", "tornade", "type=static"], durationSeconds: 1 }] });
    if (!(await waitFor(() => body !== undefined, 10_000))) throw new Error("the GitHub sim sent no queued workflow_job");
  } finally {
    world.bed.github.control.setWebhookUrl(null);
    catcher.closeAllConnections();
    await new Promise((r) => catcher.close(r));
  }
  return JSON.parse(body!) as Record<string, unknown>;
}

function withJobId(template: Record<string, unknown>, id: number): string {
  const job = { ...(template["workflow_job"] as Record<string, unknown>), id, run_id: id, name: `intake-${id}` };
  return JSON.stringify({ ...template, workflow_job: job });
}

interface Signed {
  body: string;
  headers: Record<string, string>;
}

function sign(secret: string, body: string): Signed {
  return {
    body,
    headers: {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "x-github-event": "workflow_job",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    },
  };
}

/** Open loop: request i leaves at start + i / rate whatever earlier answers do, so a slow server cannot slow the load. */
async function fire(url: string, agent: Agent, bodies: Signed[], rate: number): Promise<IntakeStage> {
  const target = new URL(`${url}/events`);
  const latencies: number[] = [];
  let errors = 0;
  let done = 0;
  const start = realNow();
  let lastAnswer = start;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      const due = Math.min(bodies.length, Math.floor(((realNow() - start) / 1000) * rate) + 1);
      for (; sent < due; sent++) {
        const s = bodies[sent]!;
        const at = realNow();
        const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: s.headers, agent }, (res) => {
          res.resume();
          res.on("end", () => {
            lastAnswer = realNow();
            latencies.push(lastAnswer - at);
            if (res.statusCode === undefined || res.statusCode >= 300) errors++;
            if (++done === bodies.length) resolve();
          });
        });
        req.on("error", () => {
          errors++;
          if (++done === bodies.length) resolve();
        });
        req.end(s.body);
      }
      if (sent < bodies.length) setTimeout(pump, 1);
    };
    pump();
  });
  const seconds = (lastAnswer - start) / 1000;
  return {
    offeredRate: rate,
    requests: bodies.length,
    achievedRate: round(latencies.length / seconds, 0),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(Math.max(...latencies)),
    errors,
  };
}
