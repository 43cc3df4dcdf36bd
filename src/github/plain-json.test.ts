/** GitHub's answers parsed with JSON.parse (plain-json.ts), through tornade's Octokit clients over HTTP. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { startGitHubSim } from "../../testbed/github/index.js";
import { createGitHubClients, type GitHubClients } from "./auth.js";
import { OctokitGitHub } from "./octokit-github.js";

type Sim = Awaited<ReturnType<typeof startGitHubSim>>;

describe("GitHub's answers parsed plainly", () => {
  let sim: Sim;
  let clients: GitHubClients;
  let gh: OctokitGitHub;
  const clock = scaledClock(100);
  const repo = () => ({ installationId: sim.installationId, owner: sim.owner, repo: sim.repo });
  beforeAll(async () => {
    sim = await startGitHubSim({ clock });
    clients = createGitHubClients({ auth: { kind: "app", appId: sim.appId, privateKeyPem: sim.privateKeyPem }, baseUrl: sim.url, clock });
    gh = new OctokitGitHub(clients, { clock });
  });
  afterAll(() => sim.close());

  it("parses a job, and a job answered only on the second try (the call policy's retry)", async () => {
    const run = sim.control.createRun({ jobs: [{ name: "plain", labels: ["self-hosted", "plain-json"], durationSeconds: 60 }] });
    const id = Number(run.jobs[0]!.id);
    expect(await gh.getJob(repo(), id)).toMatchObject({ id, status: "queued", name: "plain" });
    sim.control.failEndpoint({ method: "GET", route: "/repos/{owner}/{repo}/actions/jobs/{job_id}", status: 502, times: 1 });
    const before = sim.control.stats().responses["GET /repos/{owner}/{repo}/actions/jobs/{job_id} 502"] ?? 0;
    expect(await gh.getJob(repo(), id)).toMatchObject({ id, status: "queued", name: "plain" });
    expect(sim.control.stats().responses["GET /repos/{owner}/{repo}/actions/jobs/{job_id} 502"]).toBe(before + 1);
  });

  it("leaves the body a stream when the caller asks for one", async () => {
    const octokit = clients.forInstallation(sim.installationId);
    const streamed = await octokit.request("GET /repos/{owner}/{repo}/actions/runners", {
      owner: sim.owner,
      repo: sim.repo,
      request: { parseSuccessResponseBody: false },
    });
    expect(streamed.data).toBeInstanceOf(ReadableStream);
    const text = await new Response(streamed.data as unknown as ReadableStream).text();
    expect(JSON.parse(text)).toHaveProperty("total_count");
  });
});

describe("GitHub's answers parsed plainly, off the simulator", () => {
  let server: Server;
  let url: string;
  // An id past 2^53: json-with-bigint (what @octokit/request parses with) makes it a BigInt, JSON.parse a number.
  const BODY = '{"id":9007199254740993,"name":"big","encoded":"\\u00e9"}';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith("/text")) return void res.writeHead(200, { "content-type": "text/plain" }).end("plain text");
      if (req.url?.startsWith("/empty")) return void res.writeHead(204).end();
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(BODY);
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((ok) => server.close(ok)));

  it("parses JSON with JSON.parse, and keeps text and empty answers as Octokit makes them", async () => {
    const octokit = createGitHubClients({ auth: { kind: "token", token: "ghp_test" }, baseUrl: url }).forInstallation(undefined);
    const json = await octokit.request("GET /json");
    expect(typeof json.data.id).toBe("number");
    expect(json.data).toEqual(JSON.parse(BODY));
    expect((await octokit.request("GET /text")).data).toBe("plain text");
    const empty = await octokit.request("DELETE /empty");
    expect([empty.status, empty.data]).toEqual([204, ""]);
  });
});
