/**
 * The Actions service's admin token over real HTTP: renewed before its `exp` by tornade's clock (no call ever refused
 * for it), renewed once when the service refuses it anyway (its clock ahead of ours), one renewal shared by
 * concurrent calls; and `exp` read from the JWT.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../clock/clock.js";
import { until } from "../../../testbed/until.js";
import { startClientWorld, type ClientWorld } from "../../../test/support/scale-set-client.js";
import { STEADY } from "../../../testbed/github/scaleset/test-support.js";
import { ADMIN_TOKEN_MARGIN_MS, expiryOf } from "./admin-connection.js";

const clock = scaledClock(600);
const TTL = 10 * 60_000;
let w: ClientWorld;
const stat = (key: string) => w.s.sim.control.stats().requests[key] ?? 0;
const answered = (key: string) => w.s.sim.control.stats().responses[key] ?? 0;
const REGISTRATION = "POST /actions/runner-registration";
const GROUPS = "GET /_apis/runtime/runnergroups";

beforeAll(async () => (w = await startClientWorld(clock, { ...STEADY, adminTokenTtlMs: TTL })));
afterAll(() => w.close());

describe("the admin token", () => {
  it("is renewed before its exp by tornade's clock, so the service never has to refuse it", async () => {
    const client = w.client();
    const before = stat(REGISTRATION);
    await client.runnerGroupByName("default");
    const issuedBy = clock.now();
    expect(stat(REGISTRATION) - before).toBe(1);
    // Still fresh a little later: no new exchange.
    await client.runnerGroupByName("default");
    expect(stat(REGISTRATION) - before).toBe(1);
    // Once the clock is within the margin of exp, the next call renews first.
    await until("the admin token to be due", () => clock.now() > issuedBy + TTL - ADMIN_TOKEN_MARGIN_MS + 1_000);
    await client.runnerGroupByName("default");
    expect(stat(REGISTRATION) - before).toBe(2);
    expect(answered(`${GROUPS} 401`)).toBe(0);
  });

  it("is renewed once, and the call made again, when the service refuses it (the service's clock ahead of ours)", async () => {
    // tornade's clock two hours behind the service's: by it, a 10-minute token is good for 2 h 10 min.
    const behind = scaledClock(600, clock.now() - 2 * 3_600_000);
    const client = w.client({ over: { clock: behind } });
    const before = stat(REGISTRATION);
    await client.runnerGroupByName("default");
    const issuedBy = clock.now();
    await until("the service to consider the token expired", () => clock.now() > issuedBy + TTL + 1_000);
    const refusedBefore = answered(`${GROUPS} 401`);
    expect(await client.runnerGroupByName("default")).toMatchObject({ id: 1 });
    expect(answered(`${GROUPS} 401`) - refusedBefore).toBe(1);
    expect(stat(REGISTRATION) - before).toBe(2);
    expect(w.logger.lines.some((l) => l.includes("refused the admin token; renewing it"))).toBe(true);
  });

  it("is fetched once for calls made at the same time", async () => {
    const client = w.client();
    const before = stat(REGISTRATION);
    await Promise.all([1, 2, 3, 4, 5].map(() => client.runnerGroupByName("default")));
    expect(stat(REGISTRATION) - before).toBe(1);
  });

  it("leaves no trace in the logs", () => {
    expect(w.leaks(w.logger.lines.join("\n"))).toEqual([]);
  });
});

describe("expiryOf", () => {
  const jwt = (claims: unknown) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;
  it("reads exp (seconds) as epoch ms, without verifying", () => {
    expect(expiryOf(jwt({ exp: 1_767_614_400 }))).toBe(1_767_614_400_000);
  });
  it("is undefined for a token without exp, or not a JWT", () => {
    expect(expiryOf(jwt({ sub: "x" }))).toBeUndefined();
    expect(expiryOf(jwt({ exp: "soon" }))).toBeUndefined();
    expect(expiryOf("opaque-token")).toBeUndefined();
    expect(expiryOf("a.!!!.c")).toBeUndefined();
  });
});
