/**
 * Shared by the scale set service's tests: a sim whose every scale set answer is checked against the public client's
 * types (and every REST answer against GitHub's OpenAPI description), and a thin client over real fetch that makes
 * the calls the Go client makes, with its headers — not a client for production, just the wire exchange spelled out.
 */
import { Octokit } from "@octokit/core";
import { expect } from "vitest";
import type { Clock } from "../../../src/clock/clock.js";
import { createAppAuth } from "@octokit/auth-app";
import { validateScaleSetResponse } from "../../spec/scaleset-types.js";
import type { GitHubSim, GitHubSimOptions } from "../index.js";
import { startCheckedSim } from "../test-support.js";
import type { ScaleSetOptions } from "./types.js";
import type { JobMessage, Statistics } from "./wire.js";

const DAY = 24 * 3_600_000;

/**
 * Options for tests that must not see time-driven events they do not look at: a short long poll (5 s of clock time,
 * so an empty poll ends soon), and session release, requeues and token expiry a day away, so that a slow machine at
 * 600× (an hour is six real seconds) never sees them mid-test. A test of one of those shortens it with
 * `control.scaleSets.configure`, and puts it back.
 */
export const STEADY = { pollWaitMs: 5_000, sessionIdleTimeoutMs: DAY, requeueAfterMs: DAY, adminTokenTtlMs: DAY, queueTokenTtlMs: DAY } satisfies Partial<ScaleSetOptions>;

export interface CheckedScaleSetSim {
  sim: GitHubSim;
  /** REST answers off GitHub's description and scale set answers off the client's types, one line each. */
  violations: string[];
}

export async function startScaleSetSim(opts: GitHubSimOptions = {}): Promise<CheckedScaleSetSim> {
  const checked = await startCheckedSim({
    ...opts,
    onScaleSetResponse: (r) => {
      checked.violations.push(...validateScaleSetResponse(r.method, r.route, r.status, r.body));
      opts.onScaleSetResponse?.(r);
    },
  });
  return checked;
}

export interface Answer {
  status: number;
  json: unknown;
  headers: Headers;
}

/** A test file's world: a checked sim with `scaleSets` options (STEADY unless given) and an organization connection. */
export async function startConnected(clock: Clock, scaleSets: Partial<ScaleSetOptions> = STEADY): Promise<{ s: CheckedScaleSetSim; c: Connection }> {
  const s = await startScaleSetSim({ clock, scaleSets });
  return { s, c: await connect(s.sim) };
}

/** The end of a test file: the sim closed, and no answer strayed from GitHub's description or the client's types. */
export async function closeChecked(s: CheckedScaleSetSim): Promise<void> {
  await s.sim.close();
  expect(s.violations).toEqual([]);
}

export async function call(method: string, url: string, opts: { auth?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(url, {
    method,
    headers: {
      "content-type": "application/json",
      ...(opts.auth ? { authorization: opts.auth } : {}),
      ...opts.headers,
    },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
}

/**
 * A REST client on the sim's GHES-style root (<sim>/api/v3), where the Go client reaches it: as the App's
 * installation (JWT → installation token, the client's GitHubAppAuth), or with the sim's personal access token (the
 * client's PAT option; on a compressed clock it spares @octokit/auth-app's clock-skew retry on every new client).
 */
export function restClient(sim: GitHubSim, as: "app" | "pat" = "pat"): Octokit {
  if (as === "pat") return new Octokit({ baseUrl: `${sim.url}/api/v3`, auth: sim.control.personalToken });
  return new Octokit({
    baseUrl: `${sim.url}/api/v3`,
    authStrategy: createAppAuth,
    auth: { appId: sim.appId, privateKey: sim.privateKeyPem, installationId: sim.installationId },
  });
}

export interface Connection {
  serviceUrl: string;
  adminToken: string;
}

/** The registration exchange (client.go): a registration token, then `POST /actions/runner-registration` with it. */
export async function connect(sim: GitHubSim, repo?: string, as: "app" | "pat" = "pat"): Promise<Connection> {
  const gh = restClient(sim, as);
  const reg =
    repo === undefined
      ? await gh.request("POST /orgs/{org}/actions/runners/registration-token", { org: sim.owner })
      : await gh.request("POST /repos/{owner}/{repo}/actions/runners/registration-token", { owner: sim.owner, repo });
  const url = sim.control.scaleSets.configUrl(repo);
  const r = await call("POST", `${sim.url}/api/v3/actions/runner-registration`, { auth: `RemoteAuth ${reg.data.token}`, body: { url, runner_event: "register" } });
  if (r.status !== 201) throw new Error(`runner-registration answered ${r.status}: ${JSON.stringify(r.json)}`);
  const c = r.json as { url: string; token: string };
  return { serviceUrl: c.url, adminToken: c.token };
}

/** A call on the Actions service with the admin token (newActionsServiceRequest: api-version in the query). */
export function admin(c: Connection, method: string, path: string, body?: unknown): Promise<Answer> {
  const u = new URL(path.replace(/^\//, ""), c.serviceUrl);
  u.searchParams.set("api-version", "6.0-preview");
  return call(method, u.toString(), { auth: `Bearer ${c.adminToken}`, ...(body === undefined ? {} : { body }) });
}

export interface ScaleSet {
  id: number;
  name: string;
  labels: { type: string; name: string }[];
  statistics: Statistics;
}

export async function createScaleSet(c: Connection, name: string, labels: string[] = [], group = "default"): Promise<ScaleSet> {
  const groups = await admin(c, "GET", `_apis/runtime/runnergroups/?groupName=${group}`);
  const groupId = (groups.json as { value: { id: number }[] }).value[0]?.id;
  const r = await admin(c, "POST", "_apis/runtime/runnerscalesets", { name, runnerGroupId: groupId, labels: labels.map((l) => ({ type: "System", name: l })), RunnerSetting: {} });
  if (r.status !== 200) throw new Error(`create scale set answered ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json as ScaleSet;
}

export interface Session {
  sessionId: string;
  ownerName: string;
  messageQueueUrl: string;
  messageQueueAccessToken: string;
  statistics: Statistics;
}

export async function openSession(c: Connection, scaleSetId: number, owner = "listener-1"): Promise<Session> {
  const r = await admin(c, "POST", `_apis/runtime/runnerscalesets/${scaleSetId}/sessions`, { ownerName: owner });
  if (r.status !== 200) throw new Error(`create session answered ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json as Session;
}

export interface Polled {
  status: number;
  messageId?: number;
  statistics?: Statistics;
  jobs: JobMessage[];
  json: unknown;
}

/** GetMessage (session_client.go): Accept with api-version, the queue token, X-ScaleSetMaxCapacity, lastMessageId. */
export async function poll(s: Session, opts: { lastMessageId?: number; capacity?: number | null } = {}): Promise<Polled> {
  const u = new URL(s.messageQueueUrl);
  if (opts.lastMessageId) u.searchParams.set("lastMessageId", String(opts.lastMessageId));
  const capacity = opts.capacity === undefined ? 10 : opts.capacity;
  const r = await call("GET", u.toString(), {
    auth: `Bearer ${s.messageQueueAccessToken}`,
    headers: { accept: "application/json; api-version=6.0-preview", ...(capacity === null ? {} : { "x-scalesetmaxcapacity": String(capacity) }) },
  });
  if (r.status !== 200) return { status: r.status, jobs: [], json: r.json };
  const m = r.json as { messageId: number; body: string; statistics: Statistics };
  return { status: 200, messageId: m.messageId, statistics: m.statistics, jobs: m.body ? (JSON.parse(m.body) as JobMessage[]) : [], json: r.json };
}

/** DeleteMessage: DELETE <messageQueueUrl path>/<id>, the query kept. */
export function ack(s: Session, messageId: number): Promise<Answer> {
  const u = new URL(s.messageQueueUrl);
  u.pathname = `${u.pathname}/${messageId}`;
  return call("DELETE", u.toString(), { auth: `Bearer ${s.messageQueueAccessToken}` });
}

/** AcquireJobs: POST …/acquirejobs with the admin request's shape but the session's token. */
export async function acquire(c: Connection, s: Session, scaleSetId: number, requestIds: number[]): Promise<Answer> {
  const u = new URL(`_apis/runtime/runnerscalesets/${scaleSetId}/acquirejobs`, c.serviceUrl);
  u.searchParams.set("api-version", "6.0-preview");
  return call("POST", u.toString(), { auth: `Bearer ${s.messageQueueAccessToken}`, body: requestIds });
}

/**
 * A listener's loop: polls, deletes each message, and stops once `done` holds for the job messages seen so far
 * (returned, oldest first). Bounded in real time, like every wait in the tests; never an assertion about time.
 */
export async function listen(s: Session, done: (seen: JobMessage[]) => boolean, opts: { capacity?: number } = {}, timeoutMs = 20_000): Promise<JobMessage[]> {
  const seen: JobMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (!done(seen)) {
    if (Date.now() > deadline) throw new Error(`timed out listening; saw ${seen.map((m) => `${m.messageType}(${String(m.jobDisplayName)})`).join(", ") || "nothing"}`);
    const r = await poll(s, { lastMessageId: last, capacity: opts.capacity ?? 10 });
    if (r.status === 202) continue;
    if (r.status !== 200) throw new Error(`poll answered ${r.status}: ${JSON.stringify(r.json)}`);
    seen.push(...r.jobs);
    last = Number(r.messageId);
    await ack(s, last);
  }
  return seen;
}

export const ofType = (seen: readonly JobMessage[], type: JobMessage["messageType"]) => seen.filter((m) => m.messageType === type);
