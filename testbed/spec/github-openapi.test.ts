import { describe, expect, it } from "vitest";
import { githubSpecSubset, knownRoutes, matchRoute, toJsonSchema, validateGitHubRequest, validateGitHubResponse } from "./github-openapi.js";

const subset = githubSpecSubset();
const clone = <T>(v: T): T => structuredClone(v);

function example(method: string, route: string, status: number, name = "default"): Record<string, unknown> {
  const op = subset.operations.find((o) => o.method === method && o.route === route);
  const ex = op?.responses[String(status)]?.examples?.[name];
  if (typeof ex !== "object" || ex === null) throw new Error(`no ${name} example for ${method} ${route} ${status}`);
  return clone(ex) as Record<string, unknown>;
}

const JIT = ["POST", "/repos/{owner}/{repo}/actions/runners/generate-jitconfig"] as const;
const JOB = ["GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}"] as const;

describe("the committed GitHub spec subset", () => {
  it("holds every operation tornade calls, from a named package version", () => {
    expect(subset.source.package).toBe("@octokit/openapi");
    expect(subset.source.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(knownRoutes()).toHaveLength(33);
    expect(knownRoutes()).toContainEqual({ method: "GET", route: "/orgs/{org}/actions/runner-groups/{runner_group_id}/repositories" });
    expect(knownRoutes()).toContainEqual({ method: "DELETE", route: "/orgs/{org}/actions/runners/{runner_id}" });
    expect(knownRoutes()).toContainEqual({ method: "POST", route: "/app-manifests/{code}/conversions" });
  });

  /**
   * GitHub's own examples for the job endpoints predate `created_at` becoming required; everything else published
   * must validate. A null example is GitHub's way of saying "no example" (rerun, cancel, redeliver) and is skipped.
   */
  it("accepts every documented response example (stale job examples fail only on created_at)", () => {
    let checked = 0;
    const stale: string[] = [];
    for (const op of subset.operations) {
      for (const [status, res] of Object.entries(op.responses)) {
        for (const [name, ex] of Object.entries(res.examples ?? {})) {
          if (ex === null) continue;
          checked++;
          const errors = validateGitHubResponse(op.method, op.route, Number(status), ex);
          if (errors.length === 0) continue;
          stale.push(`${op.method} ${op.route} ${status} ${name}`);
          for (const e of errors) expect(e).toMatch(/must have required property 'created_at'$/);
        }
      }
    }
    expect(checked).toBeGreaterThan(25);
    expect(stale.sort()).toEqual([
      "GET /repos/{owner}/{repo}/actions/jobs/{job_id} 200 default",
      "GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs 200 default",
    ]);
  });
});

describe("validateGitHubResponse", () => {
  it("accepts a JIT config answer and rejects one without encoded_jit_config", () => {
    const ok = example(...JIT, 201);
    expect(validateGitHubResponse(...JIT, 201, ok)).toEqual([]);
    delete ok.encoded_jit_config;
    expect(validateGitHubResponse(...JIT, 201, ok)).toEqual([
      "POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig 201: / must have required property 'encoded_jit_config'",
    ]);
  });

  it("follows $refs into components: a runner id of the wrong type fails", () => {
    const bad = example(...JIT, 201) as { runner: Record<string, unknown> };
    bad.runner.id = "23";
    expect(validateGitHubResponse(...JIT, 201, bad)).toContain(
      "POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig 201: /runner/id must be integer",
    );
  });

  it("reads OpenAPI 3.0 nullable: a queued job has null conclusion and runner, not a made-up value", () => {
    const job: Record<string, unknown> = { ...example(...JOB, 200), created_at: "2020-01-20T17:42:40Z" };
    Object.assign(job, { status: "queued", conclusion: null, runner_id: null, runner_name: null, completed_at: null });
    expect(validateGitHubResponse(...JOB, 200, job)).toEqual([]);
    job.status = "exploded";
    expect(validateGitHubResponse(...JOB, 200, job)[0]).toMatch(/\/status must be equal to one of the allowed values/);
    job.status = "queued";
    job.conclusion = "maybe";
    expect(validateGitHubResponse(...JOB, 200, job).join("\n")).toMatch(/\/conclusion must be/);
  });

  it("checks formats: a created_at that is not a date-time fails", () => {
    const job = { ...example(...JOB, 200), created_at: "yesterday" };
    expect(validateGitHubResponse(...JOB, 200, job)).toEqual([`GET ${JOB[1]} 200: /created_at must match format "date-time"`]);
  });

  it("a status documented without a body (204) admits only an empty body", () => {
    const del = ["DELETE", "/repos/{owner}/{repo}/actions/runners/{runner_id}"] as const;
    expect(validateGitHubResponse(...del, 204, undefined)).toEqual([]);
    expect(validateGitHubResponse(...del, 204, "")).toEqual([]);
    expect(validateGitHubResponse(...del, 204, { deleted: true })).toHaveLength(1);
  });

  it("an undocumented status or route is exactly one error", () => {
    expect(validateGitHubResponse(...JIT, 500, { message: "boom" })).toEqual([
      "POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig 500: status 500 is not documented for actions/generate-runner-jitconfig-for-repo (documented: 201, 404, 409, 422)",
    ]);
    expect(validateGitHubResponse("GET", "/nope", 200, {})).toHaveLength(1);
  });

  it("error answers follow GitHub's documented error shapes", () => {
    expect(validateGitHubResponse(...JIT, 422, { message: "Validation Failed", documentation_url: "https://docs.github.com/rest" })).toEqual([]);
    expect(validateGitHubResponse(...JIT, 422, { message: 42 })).not.toEqual([]);
  });
});

describe("validateGitHubRequest", () => {
  const body = { name: "tornade-42-1", runner_group_id: 1, labels: ["self-hosted", "tornade"] };

  it("accepts the body GitHub documents for generate-jitconfig", () => {
    expect(validateGitHubRequest(...JIT, body)).toEqual([]);
    expect(validateGitHubRequest(JIT[0], "/orgs/{org}/actions/runners/generate-jitconfig", body)).toEqual([]);
  });

  it("rejects missing labels, an empty label list and more than 100 labels", () => {
    const { labels: _, ...noLabels } = body;
    expect(validateGitHubRequest(...JIT, noLabels)).toEqual([
      "POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig request: / must have required property 'labels'",
    ]);
    expect(validateGitHubRequest(...JIT, { ...body, labels: [] })[0]).toMatch(/\/labels must NOT have fewer than 1 items/);
    expect(validateGitHubRequest(...JIT, { ...body, labels: Array.from({ length: 101 }, (_, i) => `l${i}`) })[0]).toMatch(
      /\/labels must NOT have more than 100 items/,
    );
    expect(validateGitHubRequest(...JIT, undefined)).toEqual([
      "POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig request: a request body is required",
    ]);
  });

  it("an operation without a documented body accepts nothing or {} and refuses content", () => {
    const reg = ["POST", "/repos/{owner}/{repo}/actions/runners/registration-token"] as const;
    expect(validateGitHubRequest(...reg, undefined)).toEqual([]);
    expect(validateGitHubRequest(...reg, {})).toEqual([]);
    expect(validateGitHubRequest(...reg, { labels: ["x"] })).toHaveLength(1);
  });
});

describe("matchRoute", () => {
  it.each([
    ["POST", "/app/installations/123/access_tokens", "/app/installations/{installation_id}/access_tokens"],
    ["POST", "/repos/o/r/actions/runners/registration-token", "/repos/{owner}/{repo}/actions/runners/registration-token"],
    ["GET", "/repos/o/r/actions/runners/7", "/repos/{owner}/{repo}/actions/runners/{runner_id}"],
    ["delete", "/orgs/acme/actions/runners/7/", "/orgs/{org}/actions/runners/{runner_id}"],
    ["GET", "/repos/o/r/actions/runs?status=queued&per_page=100", "/repos/{owner}/{repo}/actions/runs"],
    ["GET", "/app/hook/deliveries/99", "/app/hook/deliveries/{delivery_id}"],
  ])("%s %s → %s", (method, path, route) => {
    expect(matchRoute(method, path)).toBe(route);
  });

  it("returns undefined for a method or path outside the subset", () => {
    expect(matchRoute("GET", "/repos/o/r/actions/runners/registration-token/x")).toBeUndefined();
    expect(matchRoute("PUT", "/app")).toBeUndefined();
  });
});

describe("toJsonSchema", () => {
  it("turns OpenAPI 3.0 nullable into JSON Schema null", () => {
    expect(toJsonSchema({ type: "string", nullable: true, enum: ["a"] })).toEqual({ type: ["string", "null"], enum: ["a", null] });
    expect(toJsonSchema({ nullable: true, allOf: [{ type: "object" }] })).toEqual({ anyOf: [{ type: "null" }, { allOf: [{ type: "object" }] }] });
  });
});
