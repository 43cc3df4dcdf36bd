// Check runs and repository visibility in the GitHub simulator, through @octokit/core with the App's installation
// token, every answer checked against GitHub's OpenAPI subset and every webhook against the published schemas.
import { Octokit } from "@octokit/core";
import { createAppAuth } from "@octokit/auth-app";
import { RequestError } from "@octokit/request-error";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { githubSpecSubset, validateGitHubRequest } from "../spec/github-openapi.js";
import { startCheckedSim, startReceiver, until, type CheckedSim, type Receiver } from "./test-support.js";

let s: CheckedSim;
let rx: Receiver;
let app: Octokit;
let pat: Octokit;
let headSha = "";
const ROUTE = "POST /repos/{owner}/{repo}/check-runs";

beforeAll(async () => {
  s = await startCheckedSim();
  rx = await startReceiver(s.sim.webhookSecret);
  s.sim.control.setWebhookUrl(rx.url);
  app = new Octokit({
    baseUrl: s.sim.url,
    authStrategy: createAppAuth,
    auth: { appId: s.sim.appId, privateKey: s.sim.privateKeyPem, installationId: s.sim.installationId },
  });
  pat = new Octokit({ baseUrl: s.sim.url, auth: s.sim.control.personalToken });
  const run = s.sim.control.createRun({ jobs: [{ name: "build", labels: ["self-hosted", "tornade"], durationSeconds: 1 }] });
  headSha = run.jobs[0]?.head_sha ?? "";
});
afterEach(() => s.sim.control.setChecksPermission("write"));
afterAll(async () => {
  // GitHub answers a body it cannot process with 422 "Validation Failed", though the description of this operation
  // lists only 201: those answers are held to GitHub's basic error shape instead.
  const undocumented422 = /^POST \/repos\/\{owner\}\/\{repo\}\/check-runs 422: status 422 is not documented/;
  expect(s.violations.filter((v) => !undocumented422.test(v))).toEqual([]);
  expect(rx.received.flatMap((r) => r.schemaErrors)).toEqual([]);
  await s.sim.close();
  await rx.close();
});

async function create(body: Record<string, unknown>, client = app) {
  expect(validateGitHubRequest("POST", "/repos/{owner}/{repo}/check-runs", body)).toEqual([]);
  return client.request(ROUTE, { owner: s.sim.owner, repo: s.sim.repo, ...(body as { name: string; head_sha: string }) });
}

async function refusal(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(RequestError);
  const r = e as RequestError;
  return { status: r.status, message: String((r.response?.data as { message?: unknown } | undefined)?.message ?? "") };
}

describe("POST /repos/{owner}/{repo}/check-runs", () => {
  it("creates a completed check run naming a rejection, as tornade will", async () => {
    const summary = 'label "arch=RISCV": arch must be X86_64 or ARM64 (aliases: x64, amd64, arm64, aarch64)';
    const r = await create({ name: "tornade", head_sha: headSha, status: "completed", conclusion: "failure", output: { title: "tornade will not run this job", summary } });
    expect(r.status).toBe(201);
    expect(r.data).toMatchObject({ name: "tornade", head_sha: headSha, status: "completed", conclusion: "failure", output: { title: "tornade will not run this job", summary, text: null, annotations_count: 0 } });
    expect(r.data.completed_at).not.toBeNull();
    expect(r.data.app?.id).toBe(s.sim.appId);
    const listed = s.sim.control.listCheckRuns().find((c) => c.id === r.data.id);
    expect(listed).toMatchObject({ repo: s.sim.repo, name: "tornade", conclusion: "failure", output: { summary } });
  });

  it("name and head_sha alone: a queued run without a conclusion", async () => {
    const r = await create({ name: "lint", head_sha: headSha });
    expect(r.data).toMatchObject({ status: "queued", conclusion: null, completed_at: null, output: { title: null, summary: null } });
  });

  it("a conclusion alone completes the run", async () => {
    expect((await create({ name: "x", head_sha: headSha, conclusion: "neutral" })).data).toMatchObject({ status: "completed", conclusion: "neutral" });
  });

  it.each(Object.entries(githubSpecSubset().operations.find((o) => o.route.endsWith("/check-runs"))?.requestBody?.examples ?? {}))(
    "accepts GitHub's documented example %s",
    async (_name, example) => {
      const r = await create({ ...(example as Record<string, unknown>), head_sha: headSha });
      expect(r.status).toBe(201);
      expect(r.data.name).toBe((example as { name: string }).name);
    },
  );

  it("ids increase and every run is listed once", async () => {
    const before = s.sim.control.listCheckRuns().length;
    const a = await create({ name: "a", head_sha: headSha });
    const b = await create({ name: "b", head_sha: headSha });
    expect(b.data.id).toBeGreaterThan(a.data.id);
    expect(s.sim.control.listCheckRuns().length).toBe(before + 2);
  });

  it("refuses a personal access token: GitHub Apps only", async () => {
    expect(await refusal(create({ name: "x", head_sha: headSha }, pat))).toEqual({ status: 403, message: "Resource not accessible by personal access token" });
  });

  it("refuses an installation without checks: write, and its tokens say so", async () => {
    s.sim.control.setChecksPermission("read");
    expect(await refusal(create({ name: "x", head_sha: headSha }))).toEqual({ status: 403, message: "Resource not accessible by integration" });
    s.sim.control.setChecksPermission(null);
    const jwtApp = new Octokit({ baseUrl: s.sim.url, authStrategy: createAppAuth, auth: { appId: s.sim.appId, privateKey: s.sim.privateKeyPem } });
    const token = await jwtApp.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: s.sim.installationId });
    expect(token.data.permissions).not.toHaveProperty("checks");
    s.sim.control.setChecksPermission("write");
    const again = await jwtApp.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: s.sim.installationId });
    expect(again.data.permissions?.checks).toBe("write");
  });

  it("refuses anonymous requests", async () => {
    const anon = new Octokit({ baseUrl: s.sim.url });
    expect((await refusal(anon.request(ROUTE, { owner: s.sim.owner, repo: s.sim.repo, name: "x", head_sha: headSha }))).status).toBe(401);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["no head_sha", { name: "x" }, /head_sha/],
    ["no name", { head_sha: "HEAD" }, /name/],
    ["a status GitHub does not know", { name: "x", head_sha: "HEAD", status: "done" }, /status/],
    ["completed without a conclusion", { name: "x", head_sha: "HEAD", status: "completed" }, /conclusion is required/],
    ["stale, which only GitHub sets", { name: "x", head_sha: "HEAD", conclusion: "stale" }, /stale/],
    ["output without a summary", { name: "x", head_sha: "HEAD", output: { title: "t" } }, /summary/],
    ["a summary over 65535 characters", { name: "x", head_sha: "HEAD", output: { title: "t", summary: "s".repeat(65_536) } }, /summary/],
    ["a commit GitHub does not have", { name: "x", head_sha: "0".repeat(40) }, /No commit found for SHA: 0{40}/],
  ])("422 for %s", async (_name, body, message) => {
    const withSha = body["head_sha"] === "HEAD" ? { ...body, head_sha: headSha } : body;
    const r = await refusal(app.request(ROUTE, { owner: s.sim.owner, repo: s.sim.repo, ...(withSha as { name: string; head_sha: string }) }));
    expect(r.status).toBe(422);
    expect(r.message).toMatch(message);
  });

  it("404 for a repository the installation does not have", async () => {
    expect((await refusal(app.request(ROUTE, { owner: s.sim.owner, repo: "nope", name: "x", head_sha: headSha }))).status).toBe(404);
  });

  it("the control API lists them over HTTP", async () => {
    const res = await fetch(`${s.sim.url}/_control/check-runs`);
    const body = (await res.json()) as Array<{ id: number; repo: string }>;
    expect(body.map((c) => c.id)).toEqual(s.sim.control.listCheckRuns().map((c) => c.id));
    expect(body.every((c) => c.repo === s.sim.repo)).toBe(true);
  });
});

describe("repository visibility", () => {
  it("repositories are private unless made public; webhooks carry private and visibility", async () => {
    const res = await fetch(`${s.sim.url}/_control/repos/oss/visibility`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ visibility: "public" }) });
    expect(res.status).toBe(200);
    const bad = await fetch(`${s.sim.url}/_control/repos/oss/visibility`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ visibility: "secret" }) });
    expect(bad.status).toBe(422);
    const pub = s.sim.control.createRun({ repo: "oss", jobs: [{ name: "pr", labels: ["self-hosted", "tornade"], durationSeconds: 1 }] });
    const priv = s.sim.control.createRun({ jobs: [{ name: "main", labels: ["self-hosted", "tornade"], durationSeconds: 1 }] });
    const repoOf = (jobId: number | bigint | undefined) => {
      const d = rx.received.find((r) => r.event === "workflow_job" && Number((r.payload["workflow_job"] as { id: number }).id) === Number(jobId));
      return d?.payload["repository"] as { private: boolean; visibility: string; full_name: string } | undefined;
    };
    await until(() => repoOf(pub.jobs[0]?.id) !== undefined && repoOf(priv.jobs[0]?.id) !== undefined, "both queued webhooks");
    expect(repoOf(pub.jobs[0]?.id)).toMatchObject({ private: false, visibility: "public", full_name: `${s.sim.owner}/oss` });
    expect(repoOf(priv.jobs[0]?.id)).toMatchObject({ private: true, visibility: "private" });
    s.sim.control.setRepositoryVisibility("oss", "internal");
    const internal = s.sim.control.createRun({ repo: "oss", jobs: [{ name: "pr2", labels: ["self-hosted", "tornade"], durationSeconds: 1 }] });
    await until(() => repoOf(internal.jobs[0]?.id) !== undefined, "the internal repository's webhook");
    expect(repoOf(internal.jobs[0]?.id)).toMatchObject({ private: true, visibility: "internal" });
  });
});
