import { generateKeyPairSync } from "node:crypto";
import { Octokit } from "@octokit/core";
import { createAppAuth } from "@octokit/auth-app";
import { RequestError } from "@octokit/request-error";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { signJwt, startCheckedSim, type CheckedSim } from "./test-support.js";

let s: CheckedSim;
beforeAll(async () => {
  s = await startCheckedSim();
});
afterAll(async () => {
  await s.sim.close();
});

async function status(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
    return { status: 200, message: "" };
  } catch (e) {
    if (e instanceof RequestError) return { status: e.status, message: e.message };
    throw e;
  }
}

const now = () => Math.floor(Date.now() / 1000);

describe("GitHub App authentication", () => {
  it("issues an installation token to a valid App JWT and the client caches it", async () => {
    const { sim } = s;
    const octokit = new Octokit({
      baseUrl: sim.url,
      authStrategy: createAppAuth,
      auth: { appId: sim.appId, privateKey: sim.privateKeyPem, installationId: sim.installationId },
    });
    const before = sim.control.stats().tokensIssued;
    for (let i = 0; i < 3; i++) {
      const r = await octokit.request("GET /repos/{owner}/{repo}/actions/runners", { owner: sim.owner, repo: sim.repo });
      expect(r.status).toBe(200);
      expect(r.headers["x-ratelimit-limit"]).toBe("5000");
    }
    expect(sim.control.stats().tokensIssued - before).toBe(1);
    expect(sim.privateKeyPem.startsWith("-----BEGIN RSA PRIVATE KEY-----")).toBe(true);
  });

  it("answers installation look-ups with the App JWT", async () => {
    const { sim } = s;
    const app = new Octokit({ baseUrl: sim.url, authStrategy: createAppAuth, auth: { appId: sim.appId, privateKey: sim.privateKeyPem } });
    const repoInst = await app.request("GET /repos/{owner}/{repo}/installation", { owner: sim.owner, repo: sim.repo });
    const orgInst = await app.request("GET /orgs/{org}/installation", { org: sim.owner });
    const all = await app.request("GET /app/installations");
    expect(repoInst.data.id).toBe(sim.installationId);
    expect(orgInst.data.id).toBe(sim.installationId);
    expect(all.data.map((i) => i.id)).toEqual([sim.installationId]);
    expect(s.violations).toEqual([]);
  });

  const tokenWith = (jwt: string) =>
    new Octokit({ baseUrl: s.sim.url }).request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: s.sim.installationId,
      headers: { authorization: `bearer ${jwt}` },
    });

  it("accepts iss as a number or a string", async () => {
    const { sim } = s;
    for (const iss of [sim.appId, String(sim.appId)]) {
      const r = await tokenWith(signJwt(sim.privateKeyPem, { iat: now() - 60, exp: now() + 540, iss }));
      expect(r.status).toBe(201);
      expect(r.data.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    }
  });

  it("refuses a JWT signed with another key", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const r = await status(tokenWith(signJwt(other, { iat: now() - 60, exp: now() + 540, iss: s.sim.appId })));
    expect(r.status).toBe(401);
    expect(r.message).toMatch(/could not be decoded/);
  });

  it.each([
    ["expired", { iat: now() - 700, exp: now() - 60 }, /'Expiration time' claim \('exp'\) must be a numeric value/],
    ["exp more than 10 minutes ahead", { iat: now(), exp: now() + 660 }, /too far in the future/],
    ["iat in the future beyond the skew", { iat: now() + 120, exp: now() + 500 }, /'Issued at' claim/],
  ])("refuses a JWT that is %s", async (_what, claims, message) => {
    const r = await status(tokenWith(signJwt(s.sim.privateKeyPem, { ...claims, iss: s.sim.appId })));
    expect(r.status).toBe(401);
    expect(r.message).toMatch(message);
  });

  it("refuses a JWT whose iss is another App", async () => {
    const r = await status(tokenWith(signJwt(s.sim.privateKeyPem, { iat: now() - 60, exp: now() + 540, iss: s.sim.appId + 1 })));
    expect(r.status).toBe(401);
  });

  it("refuses API calls without a valid token and accepts the configured personal access token", async () => {
    const { sim } = s;
    const route = "GET /repos/{owner}/{repo}/actions/runners" as const;
    const args = { owner: sim.owner, repo: sim.repo };
    expect((await status(new Octokit({ baseUrl: sim.url }).request(route, args))).status).toBe(401);
    expect((await status(new Octokit({ baseUrl: sim.url, auth: "ghs_wrong" }).request(route, args))).status).toBe(401);
    const pat = await new Octokit({ baseUrl: sim.url, auth: sim.control.personalToken }).request(route, args);
    expect(pat.status).toBe(200);
    sim.control.personalToken = "ghp_rotated";
    expect((await new Octokit({ baseUrl: sim.url, auth: "ghp_rotated" }).request(route, args)).status).toBe(200);
    expect(s.violations).toEqual([]);
  });
});

describe("installation token lifetime", () => {
  it("expires a token one hour of clock time after issue", async () => {
    // 3,600× : an hour passes in one second of real time.
    const clock = scaledClock(3_600);
    const c = await startCheckedSim({ clock });
    try {
      const t = Math.floor(clock.now() / 1000);
      const jwt = signJwt(c.sim.privateKeyPem, { iat: t - 30, exp: t + 570, iss: c.sim.appId });
      const r = await new Octokit({ baseUrl: c.sim.url }).request("POST /app/installations/{installation_id}/access_tokens", {
        installation_id: c.sim.installationId,
        headers: { authorization: `bearer ${jwt}` },
      });
      const expires = Date.parse(r.data.expires_at);
      expect(expires - clock.now()).toBeGreaterThan(3_500_000);
      expect(expires - clock.now()).toBeLessThanOrEqual(3_600_000);
      await clock.sleep(3_700_000);
      const after = await status(
        new Octokit({ baseUrl: c.sim.url, auth: r.data.token }).request("GET /repos/{owner}/{repo}/actions/runners", { owner: c.sim.owner, repo: c.sim.repo }),
      );
      expect(after.status).toBe(401);
    } finally {
      await c.sim.close();
    }
  });
});
