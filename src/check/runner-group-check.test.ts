// `tornade check` spawned for real, with organization runners and an allow-list, against a test bed whose GitHub
// models runner groups: the configured group's repository access must match the allow-list.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { spawnTornade, testbedEnv } from "../../test/support/bed-tornade.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-check-group-"));
let bed: TestBed;
let owner: string;
let repo: string;

beforeAll(async () => {
  // Real time: the spawned tornade signs its App JWT with the system clock, as in production.
  bed = await startTestBed({ runnerLog: () => {} });
  owner = bed.github.owner;
  repo = bed.github.repo;
  // A second repository the App is installed on, allowed in some cases below.
  bed.github.control.setRepositoryVisibility("api", "private");
});
afterAll(async () => {
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `tornade check` with org runners in `groupId` and `allowed` repositories; its group line and exit code. */
async function check(groupId: number, allowed: string[]) {
  const env = testbedEnv(bed, { TORNADE_RUNNER_SCOPE: "org", TORNADE_RUNNER_GROUP_ID: String(groupId), TORNADE_ALLOWED_REPOSITORIES: allowed.join(",") });
  const r = await spawnTornade(["check"], env, dir);
  const at = r.stdout.split("\n").findIndex((l) => l.includes(`github: runner group ${groupId} in ${owner}:`));
  return { ...r, line: r.stdout.split("\n")[at] ?? "", fix: r.stdout.split("\n")[at + 1] ?? "" };
}

describe("tornade check: the organization runner group against the allow-list", () => {
  it("passes a group restricted to exactly the allowed repositories", async () => {
    const g = bed.github.control.addRunnerGroup("tornade-exact", { visibility: "selected", selectedRepositories: [repo, "api"] });
    const r = await check(g.id, [`${owner}/${repo}`, `${owner}/api`]);
    expect(r.line).toBe(`PASS  github: runner group ${g.id} in ${owner}: "tornade-exact" (visibility selected) admits only what tornade serves: ${owner}/${repo}, ${owner}/api`);
    expect(r.stdout.split("\n").filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(r.code).toBe(0);
  });

  it("fails a group open to all repositories, naming the fix", async () => {
    const g = bed.github.control.addRunnerGroup("tornade-open");
    const r = await check(g.id, [`${owner}/${repo}`]);
    expect(r.code).toBe(1);
    expect(r.line).toBe(
      `FAIL  github: runner group ${g.id} in ${owner}: "tornade-open" (visibility all): it admits every repository of ${owner}, ` +
        "so a job of a repository tornade refuses could take a runner launched for an allowed one",
    );
    expect(r.fix).toContain("fix: restrict its repository access to the allowed repositories");
    expect(r.fix).toContain(`Selected repositories: ${owner}/${repo}`);
    expect(r.fix).toContain("or set TORNADE_RUNNER_GROUP_ID to a group that is");
  });

  it("fails a group whose selected repositories do not match, naming both sides", async () => {
    const g = bed.github.control.addRunnerGroup("tornade-mismatch", { visibility: "selected", selectedRepositories: [repo, "unrelated"] });
    const r = await check(g.id, [`${owner}/${repo}`, `${owner}/api`]);
    expect(r.code).toBe(1);
    expect(r.line).toContain(`it also admits ${owner}/unrelated, which tornade refuses`);
    expect(r.line).toContain(`it does not admit ${owner}/api: their jobs would find no runner`);
    expect(r.fix).toMatch(/remove them from the group's selected repositories .*; add .*\/api to the group's selected repositories/);
  });

  it("fails a group that does not exist", async () => {
    const r = await check(4242, [`${owner}/${repo}`]);
    expect(r.code).toBe(1);
    expect(r.line).toBe(`FAIL  github: runner group 4242 in ${owner}: no runner group 4242 in ${owner}`);
    expect(r.fix).toContain("set TORNADE_RUNNER_GROUP_ID");
  });

  it("refuses the Default group as a configuration problem before asking GitHub", async () => {
    const r = await spawnTornade(["check"], testbedEnv(bed, { TORNADE_RUNNER_SCOPE: "org", TORNADE_ALLOWED_REPOSITORIES: `${owner}/${repo}` }), dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}configuration: github\.runnerGroupId: organization runners in the Default group \(1\)/m);
    expect(r.stdout).toMatch(/fix: create a runner group whose repository access is restricted to the allowed repositories/);
  });
});
