import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, readTestBedFile } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-testbed-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `npm run testbed -- --port-file F --speed 60` writes (docs/testbed.md). */
const portFile = {
  github: { url: "http://127.0.0.1:41234", appId: 310001, privateKeyPath: "/tmp/bed.github-app-key.pem", webhookSecret: "hooksecret", installationId: 51000001, owner: "tornade-org", repo: "app" },
  aws: {
    endpoint: "http://127.0.0.1:45678",
    region: "us-east-1",
    cluster: "tornade",
    taskDefinitions: { X86_64: "tornade-runner-x86_64:1", ARM64: "tornade-runner-arm64:1" },
    codebuildProject: "tornade-runner",
    subnets: ["subnet-1", "subnet-2"],
    securityGroups: ["sg-1"],
  },
  clock: { origin: 1_767_614_400_000, speed: 60 },
};

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return p;
}

function problems(path: string): string[] {
  try {
    readTestBedFile(path);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return [...e.problems];
  }
}

describe("readTestBedFile", () => {
  it("turns a port file into the environment of a tornade on the test bed's endpoints and clock", () => {
    const env = readTestBedFile(file("bed.json", portFile));
    expect(env).toEqual({
      APP_ID: "310001",
      SECRET_KEY_PEM: "/tmp/bed.github-app-key.pem",
      TORNADE_WEBHOOK_SECRET: "hooksecret",
      TORNADE_GITHUB_BASE_URL: "http://127.0.0.1:41234",
      TORNADE_AWS_ENDPOINT: "http://127.0.0.1:45678",
      TORNADE_AWS_REGION: "us-east-1",
      TORNADE_ECS_CLUSTER: "tornade",
      TORNADE_SUBNETS: "subnet-1,subnet-2",
      TORNADE_SECURITY_GROUPS: "sg-1",
      TORNADE_TASK_DEFINITION_X86_64: "tornade-runner-x86_64:1",
      TORNADE_TASK_DEFINITION_ARM64: "tornade-runner-arm64:1",
      TORNADE_CODEBUILD_PROJECT_X86_64: "tornade-runner",
      TORNADE_CODEBUILD_PROJECT_ARM64: "tornade-runner",
      TORNADE_CLOCK_SPEED: "60",
      TORNADE_CLOCK_ORIGIN: "1767614400000",
    });
    // The compressed clock passes the configuration's loopback rule, and is read as the shared clock's.
    const { SECRET_KEY_PEM: _key, APP_ID: _app, ...rest } = env;
    expect(loadConfig({ ...rest, PERSONAL_TOKEN: "x" }).clock).toEqual({ speed: 60, origin: 1_767_614_400_000 });
  });

  it("names the file and every member that is missing or wrong, with the fix", () => {
    const { clock: _clock, ...noClock } = portFile;
    const found = problems(file("old.json", { ...noClock, github: { ...portFile.github, privateKeyPath: null }, aws: { ...portFile.aws, subnets: [] } }));
    const path = join(dir, "old.json");
    expect(found).toHaveLength(3);
    expect(found.some((p) => p.startsWith(`--testbed ${path}: github.privateKeyPath:`))).toBe(true);
    expect(found.some((p) => p.startsWith(`--testbed ${path}: aws.subnets:`))).toBe(true);
    expect(found.some((p) => p.startsWith(`--testbed ${path}: clock:`))).toBe(true);
    expect(found.every((p) => p.includes("Fix: start the test bed with `npm run testbed -- --port-file FILE`"))).toBe(true);
  });

  it("names the line and column of a JSON error, and a file that is not there", () => {
    const broken = problems(file("broken.json", '{\n  "github": {\n    "url": "x"\n    "appId": 1\n  }\n}'));
    expect(broken).toEqual([expect.stringMatching(/^--testbed .*broken\.json: not valid JSON \(.*: line 4, column 5\)\. Fix:/)]);
    expect(problems(join(dir, "gone.json"))).toEqual([expect.stringMatching(/gone\.json: cannot read it \(ENOENT\)\. Fix: .*exists only while the test bed runs/)]);
  });
});
