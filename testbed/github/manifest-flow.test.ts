/** The manifest flow of the GitHub simulator, spoken over HTTP as a browser and tornade's wizard speak it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCheckedSim, type CheckedSim } from "./test-support.js";

let checked: CheckedSim;
beforeAll(async () => {
  checked = await startCheckedSim();
});
afterAll(async () => {
  await checked.sim.close();
});

const manifest = {
  name: "My Tornade",
  url: "https://tornade.example.com",
  hook_attributes: { url: "https://tornade.example.com/events" },
  redirect_url: "https://tornade.example.com/setup/callback",
  default_permissions: { actions: "read", administration: "write", checks: "write" },
  default_events: ["workflow_job"],
};

async function submit(path: string, body: Record<string, unknown> | string): Promise<Response> {
  const form = new URLSearchParams({ manifest: typeof body === "string" ? body : JSON.stringify(body) });
  return fetch(`${checked.sim.url}${path}`, { method: "POST", body: form, redirect: "manual" });
}

async function codeFrom(res: Response): Promise<string> {
  expect(res.status).toBe(302);
  const to = new URL(res.headers.get("location") ?? "");
  expect(`${to.origin}${to.pathname}`).toBe(manifest.redirect_url);
  return to.searchParams.get("code") ?? "";
}

const convert = (code: string) => fetch(`${checked.sim.url}/app-manifests/${code}/conversions`, { method: "POST", headers: { accept: "application/vnd.github+json" } });

describe("GitHub App manifest flow (simulator)", () => {
  it("redirects with a code and the caller's state, and converts the code once into the App's credentials", async () => {
    const res = await submit("/settings/apps/new?state=s-123", manifest);
    const code = await codeFrom(res);
    expect(new URL(res.headers.get("location") ?? "").searchParams.get("state")).toBe("s-123");

    const first = await convert(code);
    expect(first.status).toBe(201);
    const app = (await first.json()) as Record<string, unknown>;
    expect(app["id"]).toBe(checked.sim.appId);
    expect(app["pem"]).toBe(checked.sim.privateKeyPem);
    expect(app["webhook_secret"]).toBe(checked.sim.webhookSecret);
    expect(app["name"]).toBe("My Tornade");
    expect(app["slug"]).toBe("my-tornade");
    expect(app["events"]).toEqual(["workflow_job"]);
    expect(app["permissions"]).toEqual({ metadata: "read", actions: "read", administration: "write", checks: "write" });

    expect((await convert(code)).status).toBe(404);
    expect(checked.violations).toEqual([]);
  });

  it("takes organization manifests only for an organization it knows", async () => {
    const ok = await submit(`/organizations/${checked.sim.owner}/settings/apps/new`, manifest);
    const app = (await (await convert(await codeFrom(ok))).json()) as { owner: { login: string; type: string } };
    expect(app.owner).toMatchObject({ login: checked.sim.owner, type: "Organization" });
    expect((await submit("/organizations/someone-else/settings/apps/new", manifest)).status).toBe(404);
    expect(checked.violations).toEqual([]);
  });

  it("refuses a manifest without the required members, and unknown codes", async () => {
    const bad = await submit("/settings/apps/new", { ...manifest, url: undefined });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toMatch(/url is required/);
    expect((await submit("/settings/apps/new", "{not json")).status).toBe(422);
    expect((await submit("/settings/apps/new", { ...manifest, hook_attributes: {} })).status).toBe(422);
    expect((await fetch(`${checked.sim.url}/settings/apps/new`)).status).toBe(405);
    expect((await convert("deadbeef")).status).toBe(404);
    expect(checked.violations).toEqual([]);
  });
});
