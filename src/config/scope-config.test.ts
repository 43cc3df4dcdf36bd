import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./index.js";
import { MINIMAL_SERVE_ENV } from "../../test/support/config-env.js";

const base = MINIMAL_SERVE_ENV;

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return [...e.problems];
  }
}

describe("scope: organization runners with an allow-list", () => {
  it.each([
    ["repositories", { TORNADE_ALLOWED_REPOSITORIES: "acme/app,acme/api" }, "acme/app, acme/api"],
    ["organizations", { TORNADE_ALLOWED_ORGANIZATIONS: "acme" }, "acme"],
  ])("refuses the Default group with allowed %s, naming the fix", (_, env, listed) => {
    const found = problems({ TORNADE_RUNNER_SCOPE: "org", ...env });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^github\.runnerGroupId: organization runners in the Default group \(1\)/);
    expect(found[0]).toContain(`a repository tornade does not serve (allowed: ${listed})`);
    expect(found[0]).toContain("Fix: create a runner group whose repository access is restricted to the allowed repositories");
    expect(found[0]).toContain("set TORNADE_RUNNER_GROUP_ID");
  });

  it("refuses it when the group is the default only implicitly, and names it among the other problems", () => {
    const found = problems({ TORNADE_RUNNER_SCOPE: "org", TORNADE_ALLOWED_REPOSITORIES: "acme/app", TORNADE_SUBNETS: "" });
    expect(found.some((p) => p.includes("Default group (1)"))).toBe(true);
    expect(found.some((p) => p.includes("aws.subnets"))).toBe(true);
  });

  it("accepts a dedicated group, repository runners, or no allow-list", () => {
    expect(problems({ TORNADE_RUNNER_SCOPE: "org", TORNADE_RUNNER_GROUP_ID: "7", TORNADE_ALLOWED_REPOSITORIES: "acme/app" })).toEqual([]);
    expect(problems({ TORNADE_RUNNER_SCOPE: "repo", TORNADE_ALLOWED_REPOSITORIES: "acme/app" })).toEqual([]);
    expect(problems({ TORNADE_RUNNER_SCOPE: "org" })).toEqual([]);
  });

  it("leaves explain (partial configuration) alone: it launches nothing", () => {
    expect(() => loadConfig({ TORNADE_RUNNER_SCOPE: "org", TORNADE_ALLOWED_REPOSITORIES: "acme/app" }, undefined, { partial: true })).not.toThrow();
  });
});
