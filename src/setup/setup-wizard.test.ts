/**
 * The setup wizard driven over HTTP the way browsers drive it — tornade's `serve --setup` listener (runSetup), the
 * GitHub simulator's "new App" page, the redirect back to /setup/callback — with cookies, a setup code, strangers'
 * browsers replaying callbacks and trying to evict the operator's flow; then the written file loaded by loadConfig,
 * whose App key must mint an installation token on the simulator.
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../clock/clock.js";
import { loadConfig } from "../config/index.js";
import { createGitHubClients } from "../github/auth.js";
import { createLogger } from "../log/logger.js";
import { runSetup, SetupRefused, type RunningSetup } from "../server/setup-server.js";
import { FLOWS_PER_SESSION, MAX_SESSIONS } from "./flows.js";
import { startCheckedSim, type CheckedSim } from "../../testbed/github/test-support.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-setup-"));
const credentials = join(dir, "github-app.json");
const logLines: string[] = [];
let checked: CheckedSim;
let wizard: RunningSetup;
const conversions: Record<string, unknown>[] = [];

/** A tornade with no App yet: only the GitHub URL, where the wizard writes, and a free operator port are configured. */
const setupEnv = () => ({ TORNADE_GITHUB_BASE_URL: checked.sim.url, TORNADE_SETUP_FILE: credentials, TORNADE_ADMIN_PORT: "0" });

beforeAll(async () => {
  checked = await startCheckedSim({
    onResponse: (r) => {
      if (r.route === "/app-manifests/{code}/conversions" && r.status === 201) conversions.push(r.body as Record<string, unknown>);
    },
  });
});
beforeEach(async () => {
  rmSync(credentials, { force: true });
  const logger = createLogger({ destination: { write: (line: string) => void logLines.push(line) } });
  // Each test gets a fresh wizard: a finished one stays closed.
  wizard = await runSetup(loadConfig(setupEnv(), undefined, { partial: true }), { clock: systemClock, logger });
});
afterEach(async () => {
  await wizard.close();
});
afterAll(async () => {
  await checked.sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** One browser: keeps the cookies tornade sets (with their attributes, for the test to read) and sends them back. */
class Browser {
  readonly cookies = new Map<string, { value: string; attributes: string }>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([k, c]) => `${k}=${c.value}`).join("; ");
    const res = await fetch(url, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) } });
    for (const set of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = set.split(";");
      const eq = pair.indexOf("=");
      this.cookies.set(pair.slice(0, eq).trim(), { value: pair.slice(eq + 1).trim(), attributes: attributes.join(";") });
    }
    return res;
  }

  /** Fills in the first page and submits it; returns the answer. */
  start(fields: Record<string, string>): Promise<Response> {
    return this.fetch(`${wizard.url}/setup`, { method: "POST", body: new URLSearchParams({ code: wizard.code, url: "https://tornade.example.com", ...fields }) });
  }

  /** Starts a flow and returns the review page's form: where it posts (GitHub) and the manifest. */
  async review(fields: Record<string, string>): Promise<{ action: string; manifest: string }> {
    const res = await this.start(fields);
    const html = await res.text();
    expect(res.status, html).toBe(200);
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    const manifest = /name="manifest" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !manifest) throw new Error(`no manifest form in:\n${html}`);
    return { action: unescape(action), manifest: unescape(manifest) };
  }

  /** The whole way to GitHub and back: returns the callback URL GitHub redirected this browser to. */
  async toGitHub(name: string, org?: string): Promise<string> {
    const { action, manifest } = await this.review({ name, ...(org ? { org } : {}) });
    const res = await fetch(action, { method: "POST", body: new URLSearchParams({ manifest }), redirect: "manual" });
    expect(res.status).toBe(302);
    return res.headers.get("location") ?? "";
  }
}

const fileText = () => {
  try {
    return readFileSync(credentials, "utf8");
  } catch {
    return null;
  }
};

describe("setup wizard", () => {
  it("asks for the setup code first, and sets nothing for a wrong one", async () => {
    const browser = new Browser();
    const first = await (await browser.fetch(`${wizard.url}/setup`)).text();
    expect(first).toMatch(/<form method="post" action="\/setup">/);
    expect(first).toMatch(/name="code"/);
    expect(first).not.toContain(wizard.code);
    const wrong = await browser.start({ name: "tornade-x", code: "0000-0000-0000-0000" });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toMatch(/not the setup code/);
    expect(browser.cookies.size).toBe(0);
    // Case, spaces and hyphens do not matter to the person typing it.
    expect((await browser.start({ name: "tornade-x", code: ` ${wizard.code.toLowerCase().replace(/-/g, " ")} ` })).status).toBe(200);
  });

  it("binds the flow to an HttpOnly SameSite cookie and shows a manifest with the permissions and event tornade needs", async () => {
    const browser = new Browser();
    const { action, manifest } = await browser.review({ name: "tornade-ci" });
    const cookie = browser.cookies.get("tornade_setup");
    expect(cookie?.value).toMatch(/^[\w-]{30,}$/);
    expect(cookie?.attributes).toMatch(/HttpOnly/i);
    expect(cookie?.attributes).toMatch(/SameSite=Lax/i);
    expect(cookie?.attributes).toMatch(/Path=\/setup/i);
    expect(action).toMatch(new RegExp(`^${checked.sim.url}/settings/apps/new\\?state=[\\w-]{20,}$`));
    expect(JSON.parse(manifest)).toEqual({
      name: "tornade-ci",
      url: "https://tornade.example.com",
      description: expect.any(String),
      // Webhooks go to the public listener; the browser comes back to this one.
      hook_attributes: { url: "https://tornade.example.com/events", active: true },
      redirect_url: `${wizard.url}/setup/callback`,
      public: false,
      default_permissions: { actions: "read", administration: "write", checks: "write", metadata: "read" },
      default_events: ["workflow_job"],
    });
  });

  it("creates an organization App, writes its credentials 0600, closes, and the written file runs tornade's GitHub client", async () => {
    const browser = new Browser();
    const back = await browser.toGitHub("tornade-org", checked.sim.owner);
    expect(back.startsWith(`${wizard.url}/setup/callback?code=`)).toBe(true);

    const done = await browser.fetch(back);
    const page = await done.text();
    expect(done.status).toBe(200);
    expect(page).toMatch(/GitHub App created/);
    expect(page).toContain(credentials);
    // Neither the key nor the webhook secret reaches the page or the log, nor the setup code the log.
    for (const text of [page, logLines.join("")]) {
      expect(text).not.toMatch(/PRIVATE KEY/);
      expect(text).not.toContain(checked.sim.webhookSecret);
    }
    expect(logLines.join("")).not.toContain(wizard.code);
    expect(logLines.join("")).toMatch(/credentials written/);
    expect(conversions.at(-1)?.["permissions"]).toMatchObject({ organization_self_hosted_runners: "write", checks: "write", actions: "read" });
    await wizard.done;

    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const config = loadConfig({}, credentials, { partial: true });
    expect(config.github).toMatchObject({ appId: checked.sim.appId, webhookSecret: checked.sim.webhookSecret, baseUrl: checked.sim.url, runnerScope: "org" });
    const clients = createGitHubClients({ auth: { kind: "app", appId: config.github.appId ?? 0, privateKeyPem: config.github.privateKey ?? "" }, baseUrl: config.github.baseUrl });
    const runners = await clients.forInstallation(checked.sim.installationId).request("GET /orgs/{org}/actions/runners", { org: checked.sim.owner });
    expect(runners.status).toBe(200);
    expect(clients.tokensMinted()).toBe(1);

    // Closed from now on, even for the browser that did it.
    const again = await browser.fetch(`${wizard.url}/setup`);
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/Setup is closed/);
    expect(checked.violations).toEqual([]);
  });

  it("refuses a foreign callback — another browser, or no cookie — with a clear page, spending and writing nothing", async () => {
    const operator = new Browser();
    const back = await operator.toGitHub("tornade-mine");
    const spent = conversions.length;

    // A stranger who learnt the URL (state and code), with no cookie, and with a session of its own.
    const stranger = new Browser();
    const bare = await stranger.fetch(back);
    expect(bare.status).toBe(403);
    expect(await bare.text()).toMatch(/started in another browser.*Nothing was written/s);
    await stranger.review({ name: "tornade-theirs" });
    expect(stranger.cookies.get("tornade_setup")).toBeDefined();
    expect((await stranger.fetch(back)).status).toBe(403);
    // A stranger's own App, sent back with a state tornade never handed out.
    const forged = new URL(back);
    forged.searchParams.set("state", "made-up-state");
    expect((await stranger.fetch(forged.toString())).status).toBe(400);
    expect(fileText()).toBeNull();
    expect(conversions.length).toBe(spent);

    // The operator's flow was left intact by all of that.
    expect((await operator.fetch(back)).status).toBe(200);
    expect(conversions.length).toBe(spent + 1);
  });

  it("refuses a replayed callback: the first use writes, every later one writes nothing", async () => {
    const operator = new Browser();
    const back = await operator.toGitHub("tornade-once");
    expect((await operator.fetch(back)).status).toBe(200);
    const written = fileText();
    const { mtimeMs } = statSync(credentials);
    const spent = conversions.length;
    for (const browser of [operator, new Browser()]) {
      const replay = await browser.fetch(back);
      expect(replay.status).toBe(409);
      expect(await replay.text()).toMatch(/Setup is closed/);
    }
    expect(fileText()).toBe(written);
    expect(statSync(credentials).mtimeMs).toBe(mtimeMs);
    expect(conversions.length).toBe(spent);
  });

  it("cannot be made to drop the operator's flow: strangers without the code start none, with it they evict only their own", async () => {
    const operator = new Browser();
    const back = await operator.toGitHub("tornade-keep");

    // Without the code: a hundred form loads and a hundred wrong codes open no flow at all.
    const stranger = new Browser();
    for (let i = 0; i < 100; i++) {
      expect((await stranger.fetch(`${wizard.url}/setup`)).status).toBe(200);
      expect((await stranger.start({ name: `x${i}`, code: `WRONG-${i}` })).status).toBe(403);
    }
    // With the code, from one browser: it keeps only its newest flows, so its own first flow is gone.
    const holder = new Browser();
    const firstOfHolder = await holder.toGitHub("holder-0");
    for (let i = 1; i <= FLOWS_PER_SESSION; i++) await holder.review({ name: `holder-${i}` });
    expect((await holder.fetch(firstOfHolder)).status).toBe(400);
    // With the code, from ever new browsers: once every session slot is taken, new ones are refused, not others evicted.
    const refused: number[] = [];
    for (let i = 0; i < 2 * MAX_SESSIONS; i++) refused.push((await new Browser().start({ name: `fresh-${i}` })).status);
    expect(refused.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(refused.every((s) => s === 200 || s === 429)).toBe(true);

    expect((await operator.fetch(back)).status).toBe(200);
    expect(JSON.parse(fileText() ?? "{}").github.appId).toBe(checked.sim.appId);
  });

  it("never overwrites existing credentials, and keeps the flow open so setup can finish once the file is moved", async () => {
    writeFileSync(credentials, "{}\n");
    const operator = new Browser();
    const back = await operator.toGitHub("tornade-again");
    const refused = await operator.fetch(back);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toMatch(/already exists/);
    rmSync(credentials);
    expect((await operator.fetch(back)).status).toBe(200);
    expect(loadConfig({}, credentials, { partial: true }).github.appId).toBe(checked.sim.appId);
  });

  it("rejects bad input with the reason, escaped", async () => {
    const res = await new Browser().start({ name: "x", url: "javascript:alert(1)", org: "<script>" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/public URL must be an http\(s\) URL/);
    expect(html).toMatch(/organization must be a GitHub login/);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
    expect((await new Browser().start({ name: "x".repeat(20_000) })).status).toBe(413);
  });

  it("answers only requests addressed to loopback (no DNS rebinding), and nothing but the wizard", async () => {
    // fetch will not send another Host header; a browser whose DNS was rebound to 127.0.0.1 does.
    const rebound = await new Promise<number>((done, fail) =>
      request(`${wizard.url}/setup`, { headers: { host: "attacker.example:9090" } }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      })
        .on("error", fail)
        .end(),
    );
    expect(rebound).toBe(421);
    expect((await fetch(`${wizard.url}/api/state`)).status).toBe(404);
    expect((await fetch(`${wizard.url}/`, { redirect: "manual" })).headers.get("location")).toBe("/setup");
  });

  it("is refused while GitHub credentials are configured", async () => {
    const config = loadConfig({ ...setupEnv(), PERSONAL_TOKEN: "ghp_configured" }, undefined, { partial: true });
    await expect(runSetup(config, { clock: systemClock, logger: createLogger({ destination: { write: () => {} } }) })).rejects.toThrow(SetupRefused);
  });
});

describe("tornade serve --setup", () => {
  const bin = resolve(import.meta.dirname, "../../bin/tornade.js");
  const serve = (env: Record<string, string>) =>
    spawn(process.execPath, [bin, "serve", "--setup", "--admin-port", "0"], { cwd: dir, env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });

  it("prints the setup code on the console, not in the log, and serves the wizard with it", async () => {
    const child = serve({ TORNADE_GITHUB_BASE_URL: checked.sim.url, TORNADE_SETUP_FILE: credentials });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const deadline = Date.now() + 30_000;
      let m: RegExpExecArray | null = null;
      while (!(m = /open (http:\/\/127\.0\.0\.1:\d+)\/setup[\s\S]*setup code: ([0-9A-Z-]{19})/.exec(stderr)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(m, stderr).not.toBeNull();
      const [, url, code] = m!;
      const ok = await fetch(`${url}/setup`, { method: "POST", body: new URLSearchParams({ code: code!, name: "tornade-cli", url: "https://t.example.com" }) });
      expect(ok.status).toBe(200);
      expect(stdout).toMatch(/setup wizard listening/);
      expect(stdout).not.toContain(code!);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("refuses to start when GitHub credentials are configured", async () => {
    const child = serve({ TORNADE_GITHUB_BASE_URL: checked.sim.url, PERSONAL_TOKEN: "ghp_x" });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code).toBe(1);
    expect(stderr).toMatch(/already configured.*runs only without them/);
  });
});
