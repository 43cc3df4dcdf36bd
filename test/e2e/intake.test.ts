/**
 * POST /events through tornade's real HTTP server: authenticity before anything else, a body limit, only
 * workflow_job acted on, duplicates dropped by delivery GUID and by job id, and the answer given once the delivery is
 * durably recorded — launching happens later, from the queue.
 */
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BODY_LIMIT_BYTES } from "../../src/config/index.js";
import { appJwtSigner } from "../../src/github/app-jwt.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { deliver, sandbox, until } from "./helpers.js";

let s: Sandbox;
let secret: string;
let url: string;

beforeAll(async () => {
  s = await sandbox();
  secret = s.bed.github.webhookSecret;
  url = s.tornade.url;
});
afterAll(async () => {
  await s?.close();
});

/**
 * A workflow_job body exactly as GitHub sent it, read back through GitHub's own API for the App's delivery log
 * (`GET /app/hook/deliveries/{id}` answers with the request payload).
 */
async function recordedQueuedDelivery(labels: string[]): Promise<{ body: string; jobId: number; guid: string }> {
  const [job] = await s.queueScenario({ jobs: [{ name: "probe", labels, durationSeconds: 30, count: 1 }] });
  const gh = s.bed.github;
  const d = await until("the queued delivery", () =>
    gh.control.listDeliveries().find((x) => x.event === "workflow_job" && x.action === "queued" && x.jobId === job!.jobId),
  );
  const { jwt } = await appJwtSigner(gh.appId, gh.privateKeyPem)(s.clock.now() / 1000);
  const res = await fetch(`${gh.url}/app/hook/deliveries/${d.id}`, { headers: { authorization: `Bearer ${jwt}`, accept: "application/vnd.github+json" } });
  const full = (await res.json()) as { request: { payload: unknown } };
  return { body: JSON.stringify(full.request.payload), jobId: job!.jobId, guid: d.guid };
}

const jobCount = async () => Object.values(await s.tornade.built.store.countJobsByStatus()).reduce((a, b) => a + b, 0);

describe("POST /events", () => {
  it("refuses a missing or wrong signature before reading the body, storing nothing", async () => {
    const before = await jobCount();
    const body = JSON.stringify({ action: "queued" });
    const unsigned = await fetch(`${url}/events`, { method: "POST", headers: { "x-github-event": "workflow_job", "x-github-delivery": randomUUID() }, body });
    expect(unsigned.status).toBe(401);
    const wrong = await deliver(url, "not-the-secret", "workflow_job", body);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: expect.stringMatching(/X-Hub-Signature-256/) });
    expect(await jobCount()).toBe(before);
  });

  it("takes the largest workflow_job delivery GitHub publishes, and refuses a body over the 256 KiB default with 413", async () => {
    const examples = (createRequire(import.meta.url)("@octokit/webhooks-examples") as { name: string; examples: object[] }[]).find((e) => e.name === "workflow_job")!.examples;
    const largest = examples.map((e) => JSON.stringify(e)).sort((a, b) => Buffer.byteLength(b) - Buffer.byteLength(a))[0]!;
    expect(Buffer.byteLength(largest)).toBe(11_395); // the figure docs/security.md cites
    const taken = await deliver(url, secret, "workflow_job", largest);
    expect(taken.status).toBeGreaterThanOrEqual(200);
    expect(taken.status).toBeLessThan(300);
    const over = JSON.stringify({ pad: "x".repeat(DEFAULT_BODY_LIMIT_BYTES) });
    expect(DEFAULT_BODY_LIMIT_BYTES).toBe(256 * 1024);
    expect((await deliver(url, secret, "workflow_job", over)).status).toBe(413);
    expect((await deliver(url, secret, "workflow_job", JSON.stringify({ pad: "x".repeat(2 * 1024 * 1024) }))).status).toBe(413);
  });

  it("counts a body sent without Content-Length (chunked) against the same limit", async () => {
    const chunked = (body: string) => {
      const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
      const stream = new ReadableStream({ start: (c) => { c.enqueue(new TextEncoder().encode(body)); c.close(); } });
      const headers = { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": randomUUID(), "x-hub-signature-256": signature };
      return fetch(`${url}/events`, { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
    };
    expect((await chunked(JSON.stringify({ zen: "chunked" }))).status).toBe(200);
    expect((await chunked(JSON.stringify({ pad: "x".repeat(DEFAULT_BODY_LIMIT_BYTES) }))).status).toBe(413);
  });

  it("answers ping, and acknowledges but ignores other events", async () => {
    expect((await deliver(url, secret, "ping", JSON.stringify({ zen: "Keep it logically awesome." }))).status).toBe(200);
    const before = await jobCount();
    const push = await deliver(url, secret, "push", JSON.stringify({ ref: "refs/heads/main" }));
    expect(push.status).toBe(202);
    expect(await push.json()).toMatchObject({ ignored: "event push" });
    expect(await jobCount()).toBe(before);
  });

  it("answers 400 with a reason for a signed body that is not JSON or not a workflow_job", async () => {
    const notJson = await deliver(url, secret, "workflow_job", "{not json");
    expect(notJson.status).toBe(400);
    const wrongShape = await deliver(url, secret, "workflow_job", JSON.stringify({ action: "queued", workflow_job: { id: "x" } }));
    expect(wrongShape.status).toBe(400);
    expect((await wrongShape.json()) as { error: string }).toMatchObject({ error: expect.stringMatching(/workflow_job/) });
  });

  it("drops a duplicate delivery GUID and a second delivery for the same job: one job, one launch", async () => {
    const gh = s.bed.github.control;
    const { body, jobId, guid } = await recordedQueuedDelivery(["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE_SPOT"]);
    // GitHub's redelivery keeps the GUID; a second queued event for the job arrives under a new GUID.
    const again = await deliver(url, secret, "workflow_job", body, guid);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true });
    const other = await deliver(url, secret, "workflow_job", body, randomUUID());
    expect(other.status).toBe(202);
    await until("the job to complete", () => (gh.getJob(jobId)?.status === "completed" ? true : undefined));
    expect(await s.tornade.built.store.listLaunches(jobId)).toHaveLength(1);
    const deliveredForJob = gh.listDeliveries().filter((d) => d.jobId === jobId && d.action === "queued");
    expect(deliveredForJob).toHaveLength(1); // the other two came from this test, straight to tornade
  });

  it("drops the duplicates GitHub itself sends, and launches once", async () => {
    const gh = s.bed.github.control;
    gh.duplicateDeliveries({ event: "workflow_job", action: "queued" });
    const [job] = await s.queueScenario({ jobs: [{ name: "dup", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER], durationSeconds: 30, count: 1 }] });
    await until("the job to complete", () => (gh.getJob(job!.jobId)?.status === "completed" ? true : undefined));
    const queuedDeliveries = gh.listDeliveries().filter((d) => d.action === "queued" && d.jobId === job!.jobId);
    expect(queuedDeliveries.length).toBe(2);
    expect(new Set(queuedDeliveries.map((d) => d.guid)).size).toBe(1);
    expect(await s.tornade.built.store.listLaunches(job!.jobId)).toHaveLength(1);
  });

  it("answers once the job is stored, before any runner is launched", async () => {
    // Slow GitHub's JIT endpoint so a launch cannot have finished when the webhook is answered.
    s.bed.github.control.slowEndpoint({ route: "/repos/{owner}/{repo}/actions/runners/generate-jitconfig", ms: 1500 });
    const jobId = 9_000_000_000 + Math.floor(Math.random() * 1e6);
    const { body } = await recordedQueuedDelivery(["self-hosted", "tornade", "type=static"]);
    const payload = JSON.parse(body) as { workflow_job: { id: number; labels: string[] } };
    payload.workflow_job.id = jobId;
    payload.workflow_job.labels = ["self-hosted", "tornade", "runs-on=FARGATE"];
    const res = await deliver(url, secret, "workflow_job", JSON.stringify(payload));
    expect(res.status).toBe(202);
    const stored = await s.tornade.built.store.getJob(jobId);
    expect(stored).toMatchObject({ id: jobId, status: "queued", decision: { kind: "launch" } });
    const launches = await s.tornade.built.store.listLaunches(jobId);
    expect(launches.every((l) => l.providerId === null)).toBe(true);
  });
});
