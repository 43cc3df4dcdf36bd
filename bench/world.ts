/**
 * One benchmark world: a test bed in this process (the load generator's side) and `tornade serve` as a real child
 * process (test/support/tornade-process.ts, shared with the chaos run), both on one shared clock. What the benchmarks
 * need to see is recorded here, in the bench process, from the simulators' hooks:
 * - every webhook as tornade receives it, through a one-hop relay that stamps the arrival time (the GitHub sim's
 *   delivery log only records when the answer came back);
 * - every RunTask / StartBuild as AWS receives it, and every one AWS accepted, by job id (tornade puts the job id in
 *   the container environment as TORNADE_JOB_ID, src/providers/ecs.ts and codebuild.ts).
 * Times are real milliseconds (performance.timeOrigin + performance.now()), so both processes' work is measured on
 * one scale whatever the clock speed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sharedClock, type Clock } from "../src/clock/clock.js";
import { startTestBed, type TestBed } from "../testbed/index.js";
import type { BootModelInput } from "../testbed/aws/index.js";
import type { GitHubLimits, SimResponseInfo } from "../testbed/github/index.js";
import type { ContainerRuntime } from "../testbed/runtime.js";
import { freePort, startTornade, type TornadeProcess } from "../test/support/tornade-process.js";

export const realNow = (): number => performance.timeOrigin + performance.now();
/** The system's monotonic clock in µs: the clock V8 stamps CPU profiles with (bench/profile-summary.ts). */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

export interface WorldOptions {
  speed: number;
  /** Deliver GitHub's webhooks to tornade (through the stamping relay); false = GitHub never calls tornade. */
  webhooks: boolean;
  githubLimits?: Partial<GitHubLimits>;
  /** Replaces the simulated runner (e.g. idleRuntime when no job needs to run). */
  runtime?: ContainerRuntime;
  env?: Record<string, string>;
  /** More environment that depends on the test bed (its owner, repository, installation), over `env`. */
  envOf?: (bed: TestBed) => Record<string, string>;
  /** Extra flags for the tornade child's node (bench/profile.ts: --cpu-prof). */
  nodeArgs?: string[];
  /** Another build's bin/tornade.js (bench/stalls.ts --bin: the code before a change, side by side). */
  bin?: string;
  /** Where the SQLite store lives; default a fresh directory under os.tmpdir() (a real disk: durable writes). */
  storePath?: string;
  /** The AWS sim's boot clock (docs/testbed.md "Boot times"); default the `fixed` profile. */
  boot?: BootModelInput;
  /** Told every AWS request (operation and body) as it arrives, with the clock time: what a stage needs beyond launches. */
  onAwsRequest?: (operation: string, body: unknown, clockMs: number) => void;
  /** Told every answer of the GitHub sim's REST API (its route template, status and body) as it is sent. */
  onGithubResponse?: (route: string, status: number, body: unknown) => void;
}

export interface LaunchSeen {
  /** First RunTask / StartBuild request for the job reached AWS (real ms). */
  requestedAt?: number;
  /** AWS accepted one (real ms, and clock ms). */
  launchedAt?: number;
  launchedClock?: number;
}

export interface World {
  bed: TestBed;
  clock: Clock;
  proc: TornadeProcess;
  /** Webhook arrivals at the relay by job id (first `queued` delivery), real ms. */
  received: Map<number, number>;
  /** tornade's answer to that delivery back at the relay, real ms. */
  answered: Map<number, number>;
  launches: Map<number, LaunchSeen>;
  /**
   * Clock ms of every launch AWS accepted, in order. A job may be served by an identical sibling's runner (GitHub
   * gives a runner any queued job its labels fit) and then never gets a launch of its own, while the sibling gets a
   * second: "every job has a runner" is this list reaching the job count, not every job id having a launch.
   */
  accepted: number[];
  /** AWS answers that refused a launch for a quota (ThrottlingException). */
  throttled: { aws: number };
  close(): Promise<void>;
}

/** Finds TORNADE_JOB_ID in a RunTask / StartBuild request or answer (container overrides, environment, tags). */
export function jobIdIn(body: unknown): number | undefined {
  if (Array.isArray(body)) {
    for (const v of body) {
      const found = jobIdIn(v);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof body !== "object" || body === null) return undefined;
  const rec = body as Record<string, unknown>;
  if (rec["name"] === "TORNADE_JOB_ID" && typeof rec["value"] === "string") return Number(rec["value"]);
  for (const v of Object.values(rec)) {
    const found = jobIdIn(v);
    if (found !== undefined) return found;
  }
  return undefined;
}

const LAUNCH_OPS = new Set(["RunTask", "StartBuild"]);

export async function startWorld(opts: WorldOptions): Promise<World> {
  const origin = Date.now();
  const clock = sharedClock(opts.speed, origin);
  const dir = opts.storePath ? undefined : mkdtempSync(join(tmpdir(), "tornade-bench-"));
  const received = new Map<number, number>();
  const answered = new Map<number, number>();
  const launches = new Map<number, LaunchSeen>();
  const throttled = { aws: 0 };
  const accepted: number[] = [];
  const seen = (id: number): LaunchSeen => {
    let l = launches.get(id);
    if (!l) launches.set(id, (l = {}));
    return l;
  };
  const bed = await startTestBed({
    clock,
    runnerLog: () => {},
    // A busy 2-core machine can stall a simulated runner's lease renewal at high clock speeds; that is the harness's
    // fault, not tornade's, so the lease is relaxed as in the chaos run.
    github: {
      runnerLostAfterMs: 60 * 60_000,
      ...(opts.githubLimits ? { limits: opts.githubLimits } : {}),
      ...(opts.onGithubResponse ? { onResponse: (r: SimResponseInfo) => opts.onGithubResponse?.(r.route, r.status, r.body) } : {}),
    },
    aws: {
      ...(opts.runtime ? { runtime: opts.runtime } : {}),
      ...(opts.boot ? { boot: opts.boot } : {}),
      onRequest: (r) => {
        opts.onAwsRequest?.(r.operation, r.body, clock.now());
        if (!LAUNCH_OPS.has(r.operation)) return;
        const id = jobIdIn(r.body);
        if (id !== undefined) seen(id).requestedAt ??= realNow();
      },
      onResponse: (r) => {
        if (!LAUNCH_OPS.has(r.operation)) return;
        const body = r.body as { tasks?: unknown[]; build?: unknown } | null;
        const ok = r.status === 200 && ((body?.tasks?.length ?? 0) > 0 || body?.build !== undefined);
        if (!ok) return;
        accepted.push(clock.now());
        const id = jobIdIn(body);
        if (id === undefined) return;
        const l = seen(id);
        if (l.launchedAt === undefined) {
          l.launchedAt = realNow();
          l.launchedClock = clock.now();
        }
      },
    },
  });
  let relay: Server | undefined;
  let proc: TornadeProcess | undefined;
  try {
    proc = await startTornade(bed, {
      port: await freePort(),
      storePath: opts.storePath ?? join(dir!, "tornade.db"),
      clock: { speed: opts.speed, origin },
      ...(opts.env || opts.envOf ? { env: { ...opts.env, ...opts.envOf?.(bed) } } : {}),
      ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}),
      ...(opts.bin ? { bin: opts.bin } : {}),
    });
    if (opts.webhooks) {
      relay = await startRelay(`${proc.url}/events`, received, answered);
      bed.github.control.setWebhookUrl(`http://127.0.0.1:${(relay.address() as AddressInfo).port}/events`);
    }
  } catch (e) {
    await bed.close();
    throw e;
  }
  const p = proc;
  return {
    bed,
    clock,
    proc: p,
    received,
    answered,
    launches,
    accepted,
    throttled,
    async close() {
      bed.github.control.setWebhookUrl(null);
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill("SIGTERM");
        await Promise.race([p.exited, new Promise((r) => setTimeout(r, 5_000))]);
        p.child.kill("SIGKILL");
      }
      relay?.closeAllConnections();
      await new Promise((r) => (relay ? relay.close(r) : r(undefined)));
      await bed.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Stamps each workflow_job delivery's arrival, forwards it unchanged, and stamps tornade's answer as it hands it back. */
async function startRelay(target: string, received: Map<number, number>, answered: Map<number, number>): Promise<Server> {
  const server = createServer((req, res) => {
    const at = realNow();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      let first: number | undefined;
      if (req.headers["x-github-event"] === "workflow_job") {
        const parsed = JSON.parse(body.toString()) as { action?: string; workflow_job?: { id?: number } };
        const id = parsed.workflow_job?.id;
        if (parsed.action === "queued" && typeof id === "number" && !received.has(id)) received.set((first = id), at);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
      fetch(target, { method: "POST", headers, body }).then(
        async (r) => {
          const text = await r.text();
          if (first !== undefined) answered.set(first, realNow());
          res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/json" });
          res.end(text);
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

/** The tornade child's resident memory (current and peak, MB) and CPU time (ms), from /proc (Linux). */
export async function childUsage(pid: number): Promise<{ rssMb: number; peakRssMb: number; cpuMs: number }> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  // USER_HZ is 100 on every Linux architecture Node.js supports (sysconf(_SC_CLK_TCK)).
  return { rssMb: kb("VmRSS") / 1024, peakRssMb: kb("VmHWM") / 1024, cpuMs: ticks * 10 };
}
