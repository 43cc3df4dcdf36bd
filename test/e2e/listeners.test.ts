/**
 * tornade's two listeners, through HTTP against the real server: the public one answers POST /events and GET /healthz
 * (liveness, nothing else) and 404 to everything else; the operator one serves the dashboard, /api and /metrics, on
 * loopback only to requests addressed to loopback, and with a token only to requests that carry it. `serve` refuses a
 * non-loopback operator listener without a long token, and logs the addresses it really bound.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger.js";
import { spawnTornade, startBedTornade, testbedEnv, type BedTornade } from "../support/bed-tornade.js";
import { deliver } from "./helpers.js";

const TOKEN = "t0k3n-".repeat(8);
const OPERATOR_ROUTES = ["/", "/dashboard/app.js", "/api/state", "/metrics", "/setup", "/setup/callback?code=x&state=y"];

let open: BedTornade;
let guarded: BedTornade;
const logLines: string[] = [];

beforeAll(async () => {
  const logger = createLogger({ destination: { write: (line: string) => void logLines.push(line) } });
  [open, guarded] = await Promise.all([startBedTornade({ logger }), startBedTornade({ env: { TORNADE_ADMIN_TOKEN: TOKEN } })]);
});
afterAll(async () => {
  await Promise.all([open?.close(), guarded?.close()]);
});

/** GET with a Host header of our choosing (fetch always sends the URL's own). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((done, fail) =>
    request(url, { headers: { host } }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    })
      .on("error", fail)
      .end(),
  );
}

describe("the public listener", () => {
  it("answers GET /healthz with liveness only", async () => {
    const res = await fetch(`${open.tornade.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("takes GitHub's webhooks on POST /events", async () => {
    const res = await deliver(open.tornade.url, open.bed.github.webhookSecret, "ping", JSON.stringify({ zen: "Design for failure." }));
    expect(res.status).toBe(200);
  });

  it("answers 404 to the dashboard, the API, the metrics and the setup wizard", async () => {
    for (const path of OPERATOR_ROUTES) {
      const res = await fetch(`${open.tornade.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: "not found" });
    }
    expect((await fetch(`${open.tornade.url}/events`)).status).toBe(404);
  });

  it("is not the operator's port, and both bound addresses are in the log", () => {
    expect(open.tornade.port).not.toBe(open.tornade.adminPort);
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => typeof l["msg"] === "string" && /tornade listening/.test(l["msg"]));
    expect(line).toMatchObject({ public: `127.0.0.1:${open.tornade.port}`, admin: `127.0.0.1:${open.tornade.adminPort}`, adminAuth: "loopback only" });
  });
});

describe("the operator listener on loopback", () => {
  it("serves the dashboard, its API and the metrics", async () => {
    const page = await fetch(`${open.tornade.adminUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect((await fetch(`${open.tornade.adminUrl}/api/state`)).status).toBe(200);
    const metrics = await fetch(`${open.tornade.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# HELP tornade_/m);
  });

  it("has no setup wizard outside `serve --setup` and the sandbox", async () => {
    expect((await fetch(`${open.tornade.adminUrl}/setup`)).status).toBe(404);
  });

  it("refuses requests addressed to another host name (DNS rebinding)", async () => {
    expect(await getWithHost(`${open.tornade.adminUrl}/api/state`, "attacker.example")).toBe(421);
    expect(await getWithHost(`${open.tornade.adminUrl}/metrics`, `evil.example:${open.tornade.adminPort}`)).toBe(421);
    expect(await getWithHost(`${open.tornade.adminUrl}/api/state`, `localhost:${open.tornade.adminPort}`)).toBe(200);
    expect(await getWithHost(`${open.tornade.adminUrl}/api/state`, `[::1]:${open.tornade.adminPort}`)).toBe(200);
  });
});

describe("the operator listener with a token", () => {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it("requires Authorization: Bearer <token> on every route", async () => {
    for (const path of OPERATOR_ROUTES) {
      for (const headers of [{}, bearer("wrong"), bearer(TOKEN.slice(0, -1)), bearer(`${TOKEN}x`), { authorization: `Basic ${TOKEN}` }]) {
        const res = await fetch(`${guarded.tornade.adminUrl}${path}`, { headers });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
    }
  });

  it("serves the dashboard, the API and Prometheus's scrape with it", async () => {
    expect((await fetch(`${guarded.tornade.adminUrl}/`, { headers: bearer(TOKEN) })).status).toBe(200);
    expect((await fetch(`${guarded.tornade.adminUrl}/api/state`, { headers: bearer(TOKEN) })).status).toBe(200);
    const metrics = await fetch(`${guarded.tornade.adminUrl}/metrics`, { headers: bearer(TOKEN) });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/tornade_webhooks_total|tornade_jobs/);
  });

  it("does not change the public listener", async () => {
    expect(await (await fetch(`${guarded.tornade.url}/healthz`)).json()).toEqual({ ok: true });
    expect((await fetch(`${guarded.tornade.url}/metrics`, { headers: bearer(TOKEN) })).status).toBe(404);
  });
});

describe("tornade serve", () => {
  const dir = mkdtempSync(join(tmpdir(), "tornade-listeners-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses an operator listener off loopback without a token of at least 32 characters, naming the fix", async () => {
    const env = testbedEnv(open.bed, { PORT: "0", TORNADE_ADMIN_PORT: "0", TORNADE_STORE_PATH: ":memory:" });
    const bare = await spawnTornade(["serve"], { ...env, TORNADE_ADMIN_HOST: "0.0.0.0" }, dir);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/TORNADE_ADMIN_HOST \(admin\.host\): "0\.0\.0\.0" is not a loopback address.*Fix: set TORNADE_ADMIN_TOKEN/);
    const short = await spawnTornade(["serve"], { ...env, TORNADE_ADMIN_HOST: "0.0.0.0", TORNADE_ADMIN_TOKEN: "x".repeat(31) }, dir);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/TORNADE_ADMIN_TOKEN \(admin\.token\): 31 characters; at least 32 are required/);
    expect(short.stderr).not.toContain("x".repeat(31));
  });
});
