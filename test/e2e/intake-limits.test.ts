/**
 * Intake hardening through the real server (issue 11 point 3): a cap on connections, request, header and idle
 * timeouts that fire near their stated time (not 30 s late), aborted requests as one rate-limited warning, and a job
 * tornade never saw whose `created_at` is old confirmed with one GET before anything is launched for it — while a
 * fresh job costs no extra call.
 */
import { randomUUID } from "node:crypto";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appJwtSigner } from "../../src/github/app-jwt.js";
import { createLogger } from "../../src/log/logger.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import type { SimResponseInfo } from "../../testbed/github/index.js";
import { startBedTornade, type BedTornade } from "../support/bed-tornade.js";
import { deliver, until } from "./helpers.js";

const MAX_CONNECTIONS = 4;
/** The timeouts of `quick`, in seconds; a cut-off must come before TIMEOUT_BOUND_MS (Node's default check: 30 s late). */
const TIMEOUT_S = 1;
const TIMEOUT_BOUND_MS = 3_000;
const JOB_ROUTE = "/repos/{owner}/{repo}/actions/jobs/{job_id}";

let limited: BedTornade;
let quick: BedTornade;
const quickLog: string[] = [];
const jobReads: SimResponseInfo[] = [];

beforeAll(async () => {
  [limited, quick] = await Promise.all([
    startBedTornade({
      // Slow enough that a webhook is never 300 simulated seconds late on a busy machine (5 real seconds).
      speed: 60,
      env: { TORNADE_MAX_CONNECTIONS: String(MAX_CONNECTIONS), TORNADE_SWEEP_INTERVAL_SECONDS: "3600" },
      onGitHubResponse: (r) => {
        if (r.method === "GET" && r.route === JOB_ROUTE) jobReads.push(r);
      },
    }),
    startBedTornade({
      logger: createLogger({ destination: { write: (line: string) => void quickLog.push(line) } }),
      env: {
        TORNADE_REQUEST_TIMEOUT_SECONDS: String(TIMEOUT_S),
        TORNADE_HEADERS_TIMEOUT_SECONDS: String(TIMEOUT_S),
        TORNADE_IDLE_TIMEOUT_SECONDS: String(TIMEOUT_S),
      },
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([limited?.close(), quick?.close()]);
});

interface Raw {
  readonly socket: Socket;
  /** Resolves when the server closes the connection: after how many real ms, and what it had answered. */
  readonly closed: Promise<{ ms: number; answer: string }>;
}

/** A TCP connection to a URL's port that the test writes to by hand. */
async function raw(url: string): Promise<Raw> {
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  await new Promise<void>((r) => socket.once("connect", () => r()));
  const start = performance.now();
  let answer = "";
  socket.on("data", (d: Buffer) => (answer += d.toString()));
  socket.on("error", () => {});
  const closed = new Promise<{ ms: number; answer: string }>((r) => socket.once("close", () => r({ ms: performance.now() - start, answer })));
  return { socket, closed };
}

/** Writes `text` one character every `everyMs` until the connection closes. */
function trickle(socket: Socket, text: string, everyMs = 100): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++] ?? "");
  }, everyMs);
  socket.once("close", () => clearInterval(timer));
}

const metric = async (t: BedTornade, name: string, labels: string): Promise<number> => {
  const text = await (await fetch(`${t.tornade.adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
};

describe("timeouts fire near their stated time", () => {
  it("cuts off a request whose body trickles in", async () => {
    const c = await raw(quick.tornade.url);
    c.socket.write(`POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`);
    trickle(c.socket, "x".repeat(1000));
    const { ms, answer } = await c.closed;
    expect(ms).toBeLessThan(TIMEOUT_BOUND_MS);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("cuts off a request whose headers trickle in", async () => {
    const c = await raw(quick.tornade.url);
    trickle(c.socket, `POST /events HTTP/1.1\r\nHost: x\r\nX-Slow: ${"y".repeat(200)}`);
    const { ms } = await c.closed;
    expect(ms).toBeLessThan(TIMEOUT_BOUND_MS);
  });

  it("closes a connection that sends nothing, and a kept-alive one left idle", async () => {
    const silent = await raw(quick.tornade.url);
    const idle = await raw(quick.tornade.url);
    idle.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    const [s, i] = await Promise.all([silent.closed, idle.closed]);
    expect(s.ms).toBeLessThan(TIMEOUT_BOUND_MS);
    expect(i.answer).toMatch(/^HTTP\/1\.1 200/);
    expect(i.ms).toBeLessThan(TIMEOUT_BOUND_MS);
  });
});

describe("aborted requests", () => {
  it("are counted, and make one warning, not an error each", async () => {
    const before = await metric(quick, "tornade_webhooks_total", 'outcome="aborted"');
    for (let i = 0; i < 20; i++) {
      const c = await raw(quick.tornade.url);
      c.socket.write(`POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"action":`);
      await new Promise((r) => setTimeout(r, 20));
      c.socket.destroy();
      await c.closed;
    }
    await until("20 aborts counted", async () => ((await metric(quick, "tornade_webhooks_total", 'outcome="aborted"')) - before >= 20 ? true : undefined));
    const lines = quickLog.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.filter((l) => l.level === 40 && /aborted/.test(l.msg))).toHaveLength(1);
  });
});

describe("a cap on connections", () => {
  it("closes connections beyond server.maxConnections at once, and takes new ones when some end", async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => raw(limited.tornade.url)));
    // Half a request each: the server holds them (the headers timeout is 5 s).
    for (const c of held) c.socket.write("POST /events HTTP/1.1\r\nHost: x\r\n");
    await new Promise((r) => setTimeout(r, 200));
    const extra = await raw(limited.tornade.url);
    extra.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const refused = await extra.closed;
    expect(refused.answer).toBe("");
    // The operator listener is not behind the same cap.
    expect((await fetch(`${limited.tornade.adminUrl}/api/state`)).status).toBe(200);
    for (const c of held) c.socket.destroy();
    await until("the public listener answering again", async () => ((await fetch(`${limited.tornade.url}/healthz`).catch(() => null))?.ok ? true : undefined));
  });
});

describe("a job tornade never saw", () => {
  const labels = ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE_SPOT"];
  const readsOf = (jobId: number) => jobReads.filter((r) => (r.body as { id?: unknown }).id === jobId);

  /** GitHub's own `queued` body for a job, from the App's delivery log (GET /app/hook/deliveries/{id}). */
  async function loggedQueuedBody(jobId: number): Promise<Record<string, unknown>> {
    const gh = limited.bed.github;
    const d = await until("the queued delivery in the log", () => gh.control.listDeliveries().find((x) => x.jobId === jobId && x.action === "queued"));
    const { jwt } = await appJwtSigner(gh.appId, gh.privateKeyPem)(limited.clock.now() / 1000);
    const res = await fetch(`${gh.url}/app/hook/deliveries/${d.id}`, { headers: { authorization: `Bearer ${jwt}`, accept: "application/vnd.github+json" } });
    return ((await res.json()) as { request: { payload: Record<string, unknown> } }).request.payload;
  }

  it("costs no extra call when it is fresh", async () => {
    const gh = limited.bed.github.control;
    const run = gh.createRun({ workflowName: "fresh", jobs: [{ name: "fresh", labels, durationSeconds: 30 }] });
    const jobId = Number(run.jobs[0]?.id);
    await until("the job to complete", () => (gh.getJob(jobId)?.status === "completed" ? true : undefined), 30_000);
    expect(await limited.tornade.built.store.listLaunches(jobId)).toHaveLength(1);
    expect(readsOf(jobId)).toEqual([]);
  });

  it("created long ago is confirmed with one GET, and nothing is launched for a job GitHub says is done", async () => {
    const gh = limited.bed.github.control;
    // A job whose webhooks never reached tornade, cancelled at once: its signed `queued` body is what a replay sends.
    gh.dropDeliveries((d) => d.jobName === "replayed");
    const run = gh.createRun({ workflowName: "replayed", jobs: [{ name: "replayed", labels, durationSeconds: 30 }] });
    gh.cancelRun(run.id);
    const jobId = Number(run.jobs[0]?.id);
    const body = await loggedQueuedBody(jobId);
    const created = Date.parse(String((body["workflow_job"] as { created_at: string }).created_at));
    await until("the job to be older than the 300 s default", () => (limited.clock.now() - created > 300_000 ? true : undefined), 30_000);

    const res = await deliver(limited.tornade.url, limited.bed.github.webhookSecret, "workflow_job", JSON.stringify(body), randomUUID());
    expect(res.status).toBe(202);
    const stored = await until("GitHub's answer recorded", async () => {
      const j = await limited.tornade.built.store.getJob(jobId);
      return j?.status === "completed" ? j : undefined;
    });
    expect(stored.conclusion).toBe("cancelled");
    expect(readsOf(jobId)).toHaveLength(1);
    expect(await limited.tornade.built.store.listLaunches(jobId)).toEqual([]);
    expect(limited.bed.aws.control.listTasks().filter((t) => t.env["TORNADE_JOB_ID"] === String(jobId))).toEqual([]);

    // A job GitHub does not know at all (the same body under another id): filed with that reason, nothing launched.
    const unknownId = 7_000_000_000 + Math.floor(Math.random() * 1e6);
    const notFound = () => jobReads.filter((r) => r.status === 404).length;
    const before = notFound();
    const unknown = { ...body, workflow_job: { ...(body["workflow_job"] as object), id: unknownId } };
    expect((await deliver(limited.tornade.url, limited.bed.github.webhookSecret, "workflow_job", JSON.stringify(unknown), randomUUID())).status).toBe(202);
    const filed = await until("the unknown job filed", async () => {
      const j = await limited.tornade.built.store.getJob(unknownId);
      return j?.decision?.kind === "ignored" ? j : undefined;
    });
    expect(filed.decision).toMatchObject({ reason: expect.stringMatching(/GitHub no longer knows this job/) });
    expect(notFound() - before).toBe(1);
    expect(await limited.tornade.built.store.listLaunches(unknownId)).toEqual([]);
  }, 60_000);
});
