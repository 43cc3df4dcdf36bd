// Spawns the real `bin/tornade.js` and checks what a person would see: stdout JSON, stderr text, exit codes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runTornadeCli, type Run } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tornade(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runTornadeCli(args, { cwd: dir, env });
}

async function explain(args: string[], env?: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const r = await tornade(["explain", ...args], env);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const seedJobs: Array<[string, string, string, string]> = [
  ["fargate_x86", "runs-on=FARGATE,arch=X86_64", "FARGATE", "X86_64"],
  ["fargate_arm64", "runs-on=FARGATE,arch=ARM64", "FARGATE", "ARM64"],
  ["fargate_spot", "runs-on=FARGATE_SPOT", "FARGATE_SPOT", "X86_64"],
  ["codebuild_x86", "runs-on=CODEBUILD,arch=X86_64", "CODEBUILD", "X86_64"],
  ["codebuild_arm64", "runs-on=CODEBUILD,arch=ARM64", "CODEBUILD", "ARM64"],
];

describe("tornade explain --labels", () => {
  it("shows the CodeBuild fleet a fleet= label asks for, and refuses one the configuration does not name", async () => {
    const env = { TORNADE_CODEBUILD_FLEETS: "warm-pool=arn:aws:codebuild:us-east-1:123456789012:fleet/warm-pool:1" };
    const out = await explain(["--labels", "self-hosted,tornade,runs-on=CODEBUILD,fleet=warm-pool"], env);
    expect(out).toMatchObject({ launch: true, backend: "CODEBUILD", fleet: "warm-pool", size: null });
    const bad = await tornade(["explain", "--labels", "self-hosted,tornade,runs-on=CODEBUILD,fleet=other"], env);
    expect(bad.stdout).toMatch(/fleet must name a configured CodeBuild fleet: warm-pool/);
  });

  it.each(seedJobs)("the seed's %s job", async (_name, extra, backend, arch) => {
    const labels = `self-hosted,tornade,4711,${extra}`;
    const out = await explain(["--labels", labels]);
    expect(out).toMatchObject({ launch: true, backend, arch, static: false, image: "default", reason: null, error: null });
    expect(out["runnerLabels"]).toEqual(labels.split(","));
    expect(Object.keys(out).sort()).toEqual(
      ["arch", "backend", "cpu", "disk", "error", "errors", "fleet", "image", "launch", "memory", "reason", "runnerLabels", "size", "static"],
    );
  });
  it("a static job launches nothing, without error", async () => {
    expect(await explain(["--labels", "self-hosted,tornade,type=static"])).toMatchObject({ launch: false, static: true, error: null });
  });
  it("a job that is not tornade's", async () => {
    const out = await explain(["--labels", "self-hosted,linux"]);
    expect(out).toMatchObject({ launch: false, static: false, error: null });
    expect(out["reason"]).toMatch(/launch label "tornade"/);
  });
  it("a bad label: still exit 0 (it decided), with the error", async () => {
    const out = await explain(["--labels", "self-hosted,tornade,cpu=4,memory=1024"]);
    expect(out).toMatchObject({ launch: false });
    expect(out["error"]).toMatch(/^label "memory=1024": Fargate does not run 4 vCPU with 1024 MiB/);
  });
  it("every bad label at once: errors lists each, error joins them", async () => {
    const out = await explain(["--labels", "self-hosted,tornade,runs-on=LAMBDA,arch=sparc,cpu=3,disk=500"]);
    expect(out).toMatchObject({ launch: false, static: false });
    const errors = out["errors"] as string[];
    expect(errors.map((e) => e.slice(0, e.indexOf(":")))).toEqual(['label "runs-on=LAMBDA"', 'label "arch=sparc"', 'label "cpu=3"', 'label "disk=500"']);
    expect(out["error"]).toBe(errors.join("; "));
  });
  it("GitHub's label limits: 150 labels, or a 10,000-character label, are rejected naming the limit", async () => {
    const many = ["self-hosted", "tornade", ...Array.from({ length: 148 }, (_, i) => `l${i}`)].join(",");
    const tooMany = await explain(["--labels", many]);
    expect(tooMany).toMatchObject({ launch: false });
    expect(tooMany["errors"]).toEqual([expect.stringMatching(/^the job has 150 labels; a runner registers with at most 100/)]);
    const long = await explain(["--labels", `self-hosted,tornade,${"z".repeat(10_000)}`]);
    expect(long).toMatchObject({ launch: false });
    expect(long["error"]).toMatch(/^label "z{60}…" \(10000 characters\): is 10000 characters long; tornade accepts labels of at most 200 characters/);
  });
  it("type=static says which runner it picks, and refuses a size key it could never get", async () => {
    const picked = await explain(["--labels", "self-hosted,tornade,type=static,runs-on=CODEBUILD"]);
    expect(picked).toMatchObject({ launch: false, static: true, error: null });
    expect(picked["reason"]).toMatch(/always-on runner registered with runs-on=CODEBUILD/);
    const sized = await explain(["--labels", "self-hosted,tornade,type=static,size=large"]);
    expect(sized).toMatchObject({ launch: false, static: false });
    expect(sized["error"]).toMatch(/^label "size=large": size= cannot apply with "type=static"/);
  });
  it("spaces around = are refused with the spelling to use", async () => {
    const out = await explain(["--labels", "self-hosted,tornade,runs-on = FARGATE"]);
    expect(out["error"]).toMatch(/^label "runs-on = FARGATE": write it without spaces around "=" or at its ends: "runs-on=FARGATE"/);
  });
  it("honours LAUNCH_LABEL from the environment and a --config file", async () => {
    expect(await explain(["--labels", "self-hosted,fast"], { LAUNCH_LABEL: "fast" })).toMatchObject({ launch: true });
    const cfg = join(dir, "c.yaml");
    writeFileSync(cfg, "launchLabel: quick\ndefaultBackend: FARGATE_SPOT\ndefaults: { size: small }\n");
    expect(await explain(["--labels", "self-hosted,quick", "--config", "c.yaml"])).toMatchObject({ backend: "FARGATE_SPOT", size: "small", cpu: 2, memory: 4096 });
  });
});

describe("tornade explain --payload", () => {
  const examples = (createRequire(import.meta.url)("@octokit/webhooks-examples") as Array<{ name: string; examples: Array<Record<string, unknown> & { action: string }> }>)
    .find((e) => e.name === "workflow_job")!.examples;
  // The published example's repository is public; tornade refuses those by default, so the files are private unless
  // `visibility` says otherwise.
  function payloadFile(name: string, action: string, labels: string[], visibility = "private"): string {
    const ex = structuredClone(examples.find((e) => e.action === "queued")!) as unknown as Record<string, unknown> & { workflow_job: { labels: string[] }; repository: Record<string, unknown> };
    ex.workflow_job.labels = labels;
    ex.repository["private"] = visibility !== "public";
    ex.repository["visibility"] = visibility;
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify({ ...ex, action }));
    return p;
  }
  it("a published queued example with the labels rewritten", async () => {
    const p = payloadFile("q.json", "queued", ["self-hosted", "tornade", "99", "runs-on=CODEBUILD", "arch=ARM64", "size=large"]);
    expect(await explain(["--payload", p])).toMatchObject({ launch: true, backend: "CODEBUILD", arch: "ARM64", size: "large", cpu: null });
  });
  it("a completed delivery launches nothing", async () => {
    const out = await explain(["--payload", payloadFile("c.json", "completed", ["self-hosted", "tornade"])]);
    expect(out).toMatchObject({ launch: false, error: null });
    expect(out["reason"]).toMatch(/"completed"/);
  });
  it("the allow-list applies, as in serve", async () => {
    const p = payloadFile("a.json", "queued", ["self-hosted", "tornade"]);
    const out = await explain(["--payload", p], { TORNADE_ALLOWED_REPOSITORIES: "someone/else" });
    expect(out).toMatchObject({ launch: false, error: null });
    expect(out["reason"]).toMatch(/not in this tornade's allowed repositories/);
  });
  it("a public repository is refused, naming the setting; TORNADE_ALLOW_PUBLIC_REPOSITORIES=true serves it", async () => {
    const p = payloadFile("pub.json", "queued", ["self-hosted", "tornade", "runs-on=FARGATE_SPOT"], "public");
    const out = await explain(["--payload", p]);
    expect(out).toMatchObject({ launch: false, backend: null });
    expect(out["error"]).toMatch(/is public, .*TORNADE_ALLOW_PUBLIC_REPOSITORIES=true/);
    expect(await explain(["--payload", p], { TORNADE_ALLOW_PUBLIC_REPOSITORIES: "true" })).toMatchObject({ launch: true, backend: "FARGATE_SPOT" });
  });
});

describe("usage errors: exit 2, a message on stderr, nothing on stdout", () => {
  it.each([
    ["no command", [], /usage: tornade <command>/],
    ["unknown command", ["launch"], /unknown command "launch"/],
    ["unknown flag", ["explain", "--labels", "a", "--colour"], /Unknown option '--colour'[\s\S]*usage: tornade explain/],
    ["neither --labels nor --payload", ["explain"], /give exactly one of --labels or --payload[\s\S]*usage: tornade explain/],
    ["both", ["explain", "--labels", "a", "--payload", "b.json"], /give exactly one of --labels or --payload/],
    ["empty --labels", ["explain", "--labels", " , "], /--labels is empty/],
  ])("%s", async (_name, args, message) => {
    const r = await tornade(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
  });
});

describe("bad files: exit 2, the file named (with the line and column of a syntax error), no usage text", () => {
  const notWorkflowJob = join(dir, "push.json");
  writeFileSync(notWorkflowJob, JSON.stringify({ ref: "refs/heads/main", commits: [] }));
  const notJson = join(dir, "x.json");
  writeFileSync(notJson, '{\n  "action": "queued",\n  "workflow_job": {"labels": ["a"] "id": 1}\n}\n');
  const badConfig = join(dir, "bad.json");
  writeFileSync(badConfig, '{\n  "launchLabel": "tornade",\n}\n');
  const badYaml = join(dir, "bad.yaml");
  writeFileSync(badYaml, "launchLabel: tornade\naws:\n  region: us-east-1\n region: eu-west-1\n");
  it.each([
    ["unreadable payload", ["explain", "--payload", "missing.json"], /^tornade explain: --payload .*missing\.json: cannot read it: no such file \(ENOENT\)\n$/],
    ["payload not JSON", ["explain", "--payload", notJson], /^tornade explain: --payload .*x\.json:3:36: not valid JSON: expected , or } after a property value, found "\\""\n$/],
    ["payload not a workflow_job body", ["explain", "--payload", notWorkflowJob], /not a workflow_job webhook body: .*workflow_job/],
    ["unreadable --config", ["explain", "--labels", "a", "--config", "nope.yaml"], /nope\.yaml: cannot read it: no such file \(ENOENT\)\. Fix: check the path/],
    ["--config not JSON", ["explain", "--labels", "a", "--config", badConfig], /bad\.json:3:1: not valid JSON: expected a property name in double quotes, found "}"\. Fix: correct the syntax there/],
    ["--config not YAML", ["explain", "--labels", "a", "--config", badYaml], /bad\.yaml:4:\d+: not valid YAML: .*\. Fix: correct the syntax there/],
  ])("%s", async (_name, args, message) => {
    const r = await tornade(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/usage:/);
  });
});

describe("help", () => {
  it("--help goes to stdout with exit 0", async () => {
    const top = await tornade(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/explain/);
    const sub = await tornade(["explain", "--help"]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/--payload FILE/);
  });
});
