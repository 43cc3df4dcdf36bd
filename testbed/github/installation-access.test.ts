// What the simulated GitHub answers an App whose installation does not cover a repository or lacks a permission, as
// GitHub does: 404 for a repository outside the installation, 403 "Resource not accessible by integration" for a
// missing permission — through @octokit/core, every answer checked against GitHub's OpenAPI subset.
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { RequestError } from "@octokit/request-error";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startCheckedSim, type CheckedSim } from "./test-support.js";

let s: CheckedSim;
let app: Octokit;
let installation: Octokit;

beforeAll(async () => {
  s = await startCheckedSim();
  app = new Octokit({ baseUrl: s.sim.url, authStrategy: createAppAuth, auth: { appId: s.sim.appId, privateKey: s.sim.privateKeyPem } });
  installation = new Octokit({
    baseUrl: s.sim.url,
    authStrategy: createAppAuth,
    auth: { appId: s.sim.appId, privateKey: s.sim.privateKeyPem, installationId: s.sim.installationId },
  });
});
afterEach(() => {
  s.sim.control.setInstalledRepositories(null);
  s.sim.control.setPermission("administration", "write");
  s.sim.control.setPermission("organization_self_hosted_runners", "write");
});
afterAll(async () => {
  expect(s.violations).toEqual([]);
  await s.sim.close();
});

async function refusal(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RequestError) return { status: e.status, message: (e.response?.data as { message: string }).message };
    throw e;
  }
  throw new Error("the call succeeded");
}

const mint = () => app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: s.sim.installationId });
const runners = (repo: string) => installation.request("GET /repos/{owner}/{repo}/actions/runners", { owner: s.sim.owner, repo });
const jit = (repo: string) =>
  installation.request("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig", { owner: s.sim.owner, repo, name: "r1", runner_group_id: 1, labels: ["self-hosted"] });

describe("an installation on selected repositories", () => {
  it("answers 404 for a repository it does not cover, to the App and to its installation", async () => {
    s.sim.control.setInstalledRepositories([s.sim.repo, "tools"]);
    expect((await app.request("GET /repos/{owner}/{repo}/installation", { owner: s.sim.owner, repo: "tools" })).data.id).toBe(s.sim.installationId);
    s.sim.control.setInstalledRepositories([s.sim.repo]);
    expect(await refusal(app.request("GET /repos/{owner}/{repo}/installation", { owner: s.sim.owner, repo: "tools" }))).toEqual({ status: 404, message: "Not Found" });
    expect(await refusal(runners("tools"))).toEqual({ status: 404, message: "Not Found" });
    expect((await runners(s.sim.repo)).status).toBe(200);
    expect((await mint()).data.repository_selection).toBe("selected");
  });
});

describe("an installation without a permission", () => {
  it("refuses runner calls without Administration, and reading needs only read", async () => {
    s.sim.control.setPermission("administration", null);
    expect(await refusal(runners(s.sim.repo))).toEqual({ status: 403, message: "Resource not accessible by integration" });
    expect((await mint()).data.permissions).not.toHaveProperty("administration");
    s.sim.control.setPermission("administration", "read");
    expect((await runners(s.sim.repo)).status).toBe(200);
    expect(await refusal(jit(s.sim.repo))).toEqual({ status: 403, message: "Resource not accessible by integration" });
    expect((await mint()).data.permissions?.administration).toBe("read");
  });

  it("refuses organization runner calls without Self-hosted runners, and GET /app shows what is granted", async () => {
    s.sim.control.setPermission("organization_self_hosted_runners", null);
    expect(await refusal(installation.request("GET /orgs/{org}/actions/runners", { org: s.sim.owner }))).toEqual({ status: 403, message: "Resource not accessible by integration" });
    expect((await runners(s.sim.repo)).status).toBe(200);
    expect((await app.request("GET /app")).data?.permissions).not.toHaveProperty("organization_self_hosted_runners");
  });

  it("is set over HTTP too", async () => {
    const put = (path: string, body: unknown) => fetch(`${s.sim.url}${path}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await put("/_control/permissions/administration", { level: null })).status).toBe(200);
    expect((await refusal(runners(s.sim.repo))).status).toBe(403);
    expect((await put("/_control/installed-repositories", { repositories: ["elsewhere"] })).status).toBe(200);
    expect((await refusal(runners(s.sim.repo))).status).toBe(404);
    expect((await put("/_control/permissions/administration", { level: "sometimes" })).status).toBe(422);
  });
});
