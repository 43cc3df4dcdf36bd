/**
 * The setup wizard driven over HTTP the way a browser drives it — tornade's /setup, the GitHub simulator's
 * "new App" page, the redirect back to /setup/callback — then the written file loaded by loadConfig, whose App key
 * must mint an installation token on the simulator.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../clock/clock.js";
import { loadConfig } from "../config/index.js";
import { createGitHubClients } from "../github/auth.js";
import { createLogger } from "../log/logger.js";
import { listen, type Listening } from "../server/node.js";
import { mountSetup } from "../server/setup-routes.js";
import { startCheckedSim, type CheckedSim } from "../../testbed/github/test-support.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-setup-"));
const credentials = join(dir, "github-app.json");
const logLines: string[] = [];
let checked: CheckedSim;
let server: Listening;
const conversions: Record<string, unknown>[] = [];

beforeAll(async () => {
  checked = await startCheckedSim({
    onResponse: (r) => {
      if (r.route === "/app-manifests/{code}/conversions" && r.status === 201) conversions.push(r.body as Record<string, unknown>);
    },
  });
  // A tornade with no App yet: only the GitHub URL and where the wizard writes the credentials are configured.
  const config = loadConfig({ TORNADE_GITHUB_BASE_URL: checked.sim.url, TORNADE_SETUP_FILE: credentials }, undefined, { partial: true });
  const logger = createLogger({ destination: { write: (line: string) => void logLines.push(line) } });
  const app = new Hono();
  mountSetup(app, { config, clock: systemClock, logger });
  server = await listen(app, 0, "127.0.0.1");
});
afterAll(async () => {
  await server.close();
  await checked.sim.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => rmSync(credentials, { force: true }));

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** GET /setup with the form filled in; returns the review page's form: where it posts and the manifest. */
async function review(params: Record<string, string>): Promise<{ action: string; manifest: string; html: string }> {
  const res = await fetch(`${server.url}/setup?${new URLSearchParams(params).toString()}`);
  expect(res.status).toBe(200);
  const html = await res.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const manifest = /name="manifest" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !manifest) throw new Error(`no manifest form in:\n${html}`);
  return { action: unescape(action), manifest: unescape(manifest), html };
}

/** What the browser does with the form: POST it to GitHub, follow the redirect back to tornade. */
async function createOnGitHub(action: string, manifest: string): Promise<string> {
  const res = await fetch(action, { method: "POST", body: new URLSearchParams({ manifest }), redirect: "manual" });
  expect(res.status).toBe(302);
  return res.headers.get("location") ?? "";
}

describe("setup wizard", () => {
  it("shows a form first, then a manifest with the permissions and event tornade needs", async () => {
    const first = await (await fetch(`${server.url}/setup`)).text();
    expect(first).toMatch(/<form method="get" action="\/setup">/);
    const { action, manifest } = await review({ name: "tornade-ci", url: server.url });
    expect(action).toMatch(new RegExp(`^${checked.sim.url}/settings/apps/new\\?state=[\\w-]{20,}$`));
    expect(JSON.parse(manifest)).toEqual({
      name: "tornade-ci",
      url: server.url,
      description: expect.any(String),
      hook_attributes: { url: `${server.url}/events`, active: true },
      redirect_url: `${server.url}/setup/callback`,
      public: false,
      default_permissions: { actions: "read", administration: "write", checks: "write", metadata: "read" },
      default_events: ["workflow_job"],
    });
  });

  it("creates an organization App, writes its credentials 0600, and the written file runs tornade's GitHub client", async () => {
    const { action, manifest } = await review({ name: "tornade-org", url: server.url, org: checked.sim.owner });
    expect(action.startsWith(`${checked.sim.url}/organizations/${checked.sim.owner}/settings/apps/new?state=`)).toBe(true);
    expect(JSON.parse(manifest).default_permissions).toEqual({ actions: "read", organization_self_hosted_runners: "write", checks: "write", metadata: "read" });
    const back = await createOnGitHub(action, manifest);
    expect(back.startsWith(`${server.url}/setup/callback?code=`)).toBe(true);

    const done = await fetch(back);
    const page = await done.text();
    expect(done.status).toBe(200);
    expect(page).toMatch(/GitHub App created/);
    expect(page).toContain(credentials);
    expect(page).toMatch(/installations\/new/);
    // Neither the key nor the webhook secret reaches the page or the log.
    for (const text of [page, logLines.join("")]) {
      expect(text).not.toMatch(/PRIVATE KEY/);
      expect(text).not.toContain(checked.sim.webhookSecret);
    }
    expect(logLines.join("")).toMatch(/credentials written/);
    expect(conversions.at(-1)?.["permissions"]).toMatchObject({ organization_self_hosted_runners: "write", checks: "write", actions: "read" });

    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const config = loadConfig({}, credentials, { partial: true });
    expect(config.github).toMatchObject({ appId: checked.sim.appId, webhookSecret: checked.sim.webhookSecret, baseUrl: checked.sim.url, runnerScope: "org" });
    const clients = createGitHubClients({ auth: { kind: "app", appId: config.github.appId ?? 0, privateKeyPem: config.github.privateKey ?? "" }, baseUrl: config.github.baseUrl });
    const runners = await clients.forInstallation(checked.sim.installationId).request("GET /orgs/{org}/actions/runners", { org: checked.sim.owner });
    expect(runners.status).toBe(200);
    expect(clients.tokensMinted()).toBe(1);
    expect(checked.violations).toEqual([]);
  });

  it("refuses a callback whose state it did not hand out, or hands out twice", async () => {
    const { action, manifest } = await review({ name: "tornade-once", url: server.url });
    const back = await createOnGitHub(action, manifest);
    const forged = new URL(back);
    forged.searchParams.set("state", "forged");
    expect((await fetch(forged)).status).toBe(400);
    expect((await fetch(back)).status).toBe(200);
    rmSync(credentials);
    expect((await fetch(back)).status).toBe(400);
  });

  it("never overwrites existing credentials, and keeps the code unspent so setup can finish once the file is moved", async () => {
    writeFileSync(credentials, "{}\n");
    const { action, manifest } = await review({ name: "tornade-again", url: server.url });
    const back = await createOnGitHub(action, manifest);
    const refused = await fetch(back);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toMatch(/already exists/);
    rmSync(credentials);
    expect((await fetch(back)).status).toBe(200);
    expect(loadConfig({}, credentials, { partial: true }).github.appId).toBe(checked.sim.appId);
  });

  it("rejects bad input with the reason, escaped", async () => {
    const res = await fetch(`${server.url}/setup?${new URLSearchParams({ name: "x", url: "javascript:alert(1)", org: "<script>" })}`);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/public URL must be an http\(s\) URL/);
    expect(html).toMatch(/organization must be a GitHub login/);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
  });
});
