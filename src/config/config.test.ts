import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadConfig, loadPolicy, policyOf, REDACTED } from "./index.js";
import { decideLabels } from "../core/decision.js";
import { explanationOf } from "../core/explanation.js";

/** What `tornade explain --labels` prints under a policy. */
const explainLabels = (labels: string[], policy: Parameters<typeof decideLabels>[1]) => explanationOf(decideLabels(labels, policy));

const dir = mkdtempSync(join(tmpdir(), "tornade-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// GitHub App keys are PKCS#1 RSA ("BEGIN RSA PRIVATE KEY").
const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const b64 = Buffer.from(pem).toString("base64");

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A complete production environment in the seed's names plus tornade's own. */
const prod: NodeJS.ProcessEnv = {
  APP_ID: "12345",
  SECRET_KEY_PEM: b64,
  LAUNCH_LABEL: "fast",
  PORT: "8090",
  TORNADE_WEBHOOK_SECRET: "s3cret-hook",
  TORNADE_AWS_REGION: "ap-northeast-1",
  TORNADE_ECS_CLUSTER: "runners",
  TORNADE_SUBNETS: "subnet-a, subnet-b",
  TORNADE_SECURITY_GROUPS: "sg-1",
  TORNADE_TASK_DEFINITION_X86_64: "runner-x64:3",
  TORNADE_TASK_DEFINITION_ARM64: "runner-arm64:3",
  TORNADE_CODEBUILD_PROJECT_X86_64: "runner",
};

describe("loadConfig: sources", () => {
  it("no configuration at all is not a sandbox: it names everything to set", () => {
    // A production container that lost its configuration must refuse to start, not boot a simulator.
    const err = (() => {
      try {
        loadConfig({}, undefined, { cwd: dir });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("loadConfig accepted an empty configuration");
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/github credentials: none given/);
    expect(err.message).toMatch(/webhookSecret: missing/);
    expect(err.message).toMatch(/aws\.region: missing/);
    expect(err.message).toMatch(/no backend configured/);
  });
  it("--sandbox with nothing else fills what the sandbox needs", () => {
    const c = loadConfig({}, undefined, { cwd: dir, sandbox: true });
    expect(c.sandbox).toBe(true);
    expect(c.store.path).toBe(":memory:");
    expect(c.aws.taskDefinitions.ARM64).toBeDefined();
    expect(c.aws.codebuild.projectARM64).toBeDefined();
    expect(c.launchLabel).toBe("tornade");
    expect(c.server.port).toBe(8080);
  });
  it("PORT alone (set by the platform) is not a configuration; the sandbox still takes it", () => {
    expect(() => loadConfig({ PORT: "3000" })).toThrow(ConfigError);
    const c = loadConfig({ PORT: "3000" }, undefined, { sandbox: true });
    expect(c).toMatchObject({ sandbox: true, server: { port: 3000 } });
  });
  it("--sandbox wins over a full configuration", () => {
    expect(loadConfig(prod, undefined, { sandbox: true }).sandbox).toBe(true);
  });
  it("accepts every seed variable", () => {
    const c = loadConfig(prod);
    expect(c.sandbox).toBe(false);
    expect(c.github.appId).toBe(12345);
    expect(c.github.privateKey).toBe(pem);
    expect(c.launchLabel).toBe("fast");
    expect(c.server.port).toBe(8090);
    expect(c.aws.subnets).toEqual(["subnet-a", "subnet-b"]);
    const t = loadConfig({ ...prod, APP_ID: "", SECRET_KEY_PEM: "", PERSONAL_TOKEN: "ghp_abc" });
    expect(t.github.personalToken).toBe("ghp_abc");
    expect(t.github.appId).toBeUndefined();
  });
  it("takes the log level from the file or TORNADE_LOG_LEVEL, info by default, and names the allowed values", () => {
    expect(loadConfig(prod).logLevel).toBe("info");
    const yaml = file("log.yaml", "logLevel: debug\n");
    expect(loadConfig(prod, yaml).logLevel).toBe("debug");
    expect(loadConfig({ ...prod, TORNADE_LOG_LEVEL: "warn" }, yaml).logLevel).toBe("warn");
    expect(() => loadConfig({ ...prod, TORNADE_LOG_LEVEL: "loud" })).toThrow(/TORNADE_LOG_LEVEL \(logLevel\): .*Fix: trace, debug, info, warn or error/);
  });

  it("reads YAML and JSON; the environment overrides the file, key by key", () => {
    const yaml = file("a.yaml", [
      "launchLabel: fromfile",
      "defaultBackend: fargate_spot",
      "github: { appId: 7, privateKey: key.pem, webhookSecret: x, runnerScope: org, runnerGroupId: 3 }",
      "aws: { region: eu-west-1, cluster: c, subnets: [s1], taskDefinitions: { X86_64: td }, assignPublicIp: true }",
      "server: { port: 7000 }",
      "images: { GPU: { taskDefinitions: { X86_64: gpu-td } } }",
    ].join("\n"));
    file("key.pem", pem);
    const c = loadConfig({ LAUNCH_LABEL: "fromenv", TORNADE_SUBNETS: "s2,s3" }, yaml);
    expect(c.launchLabel).toBe("fromenv");
    expect(c.defaultBackend).toBe("FARGATE_SPOT");
    expect(c.server.port).toBe(7000);
    expect(c.aws).toMatchObject({ region: "eu-west-1", cluster: "c", subnets: ["s2", "s3"], assignPublicIp: true });
    expect(c.github).toMatchObject({ runnerScope: "org", runnerGroupId: 3 });
    expect(c.images["gpu"]?.taskDefinitions.X86_64).toBe("gpu-td");
    expect(c.images["default"]?.taskDefinitions.X86_64).toBe("td");
    const json = file("b.json", JSON.stringify({ github: { personalToken: "t", webhookSecret: "w" }, aws: { region: "r", codebuild: { projectX86_64: "p" } }, defaultBackend: "CODEBUILD" }));
    expect(loadConfig({}, json).defaultBackend).toBe("CODEBUILD");
    expect(loadConfig({ TORNADE_CONFIG: json }).github.personalToken).toBe("t");
  });
  it("JIT configs go through one-time parameters under /tornade/jit/ with tornade's own key unless told otherwise", () => {
    expect(loadConfig(prod).aws.jitConfig).toEqual({ parameterPrefix: "/tornade/jit/", kmsKeyId: "alias/tornade-runner-jitconfig" });
    const own = loadConfig({ ...prod, TORNADE_JITCONFIG_PARAMETER_PREFIX: "/ci/runners/", TORNADE_JITCONFIG_KMS_KEY_ID: "arn:aws:kms:ap-northeast-1:111122223333:key/k" });
    expect(own.aws.jitConfig).toEqual({ parameterPrefix: "/ci/runners/", kmsKeyId: "arn:aws:kms:ap-northeast-1:111122223333:key/k" });
  });

  it("AWS_REGION is the fallback; TORNADE_AWS_REGION wins", () => {
    const { TORNADE_AWS_REGION: _r, ...noRegion } = prod;
    expect(loadConfig({ ...noRegion, AWS_REGION: "us-west-2" }).aws.region).toBe("us-west-2");
    expect(loadConfig({ ...prod, AWS_REGION: "us-west-2" }).aws.region).toBe("ap-northeast-1");
  });
  it("defaults: cpu alone gets the smallest memory Fargate allows", () => {
    expect(loadConfig({ ...prod, TORNADE_DEFAULT_CPU: "2" }).defaults).toMatchObject({ cpu: 2, memory: 4096 });
  });
});

describe("loadConfig: the private key in three forms", () => {
  it.each([
    ["PEM text", pem],
    ["PEM text with literal \\n", pem.trim().replace(/\n/g, "\\n")],
    ["base64 (the seed's form)", b64],
    ["a path to the file", file("app.pem", pem)],
  ])("%s", (_name, value) => {
    expect(loadConfig({ ...prod, SECRET_KEY_PEM: value }).github.privateKey).toBe(pem);
  });
  it("a relative path in a file is relative to that file", () => {
    file("rel.pem", pem);
    const cfg = file("rel.yaml", "github: { privateKey: rel.pem }\n");
    const { SECRET_KEY_PEM: _k, ...env } = prod;
    expect(loadConfig(env, cfg, { cwd: "/" }).github.privateKey).toBe(pem);
  });
});

const problemCases: Array<[string, NodeJS.ProcessEnv, string | undefined, RegExp]> = [
  ["APP_ID not a number", { ...prod, APP_ID: "abc" }, undefined, /APP_ID \(github\.appId\): .*expected number.*Fix: the numeric App ID/],
  ["PORT out of range", { ...prod, PORT: "70000" }, undefined, /PORT \(server\.port\): .*Fix: a whole number from 0 to 65535/],
  ["unknown backend", { ...prod, TORNADE_DEFAULT_BACKEND: "LAMBDA" }, undefined, /TORNADE_DEFAULT_BACKEND \(defaultBackend\): .*Fix: FARGATE, FARGATE_SPOT or CODEBUILD/],
  ["unknown arch", { ...prod, TORNADE_DEFAULT_ARCH: "RISCV" }, undefined, /TORNADE_DEFAULT_ARCH \(defaultArch\): .*Fix: X86_64 or ARM64/],
  ["private key garbage", { ...prod, SECRET_KEY_PEM: "not a key!" }, undefined, /SECRET_KEY_PEM \(github\.privateKey\): it is neither PEM text.*Fix: give the App's \.pem/],
  ["private key base64 of junk", { ...prod, SECRET_KEY_PEM: Buffer.from("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----").toString("base64") }, undefined, /SECRET_KEY_PEM \(github\.privateKey\): the base64 value looks like PEM but is not a private key/],
  ["boolean", { ...prod, TORNADE_ASSIGN_PUBLIC_IP: "maybe" }, undefined, /TORNADE_ASSIGN_PUBLIC_IP \(aws\.assignPublicIp\): .*Fix: true or false/],
  ["allow-list entry", { ...prod, TORNADE_ALLOWED_REPOSITORIES: "octo/ok,notarepo" }, undefined, /TORNADE_ALLOWED_REPOSITORIES \(github\.allowedRepositories\.1\): must be owner\/repo/],
  ["base URL", { ...prod, TORNADE_GITHUB_BASE_URL: "not a url" }, undefined, /TORNADE_GITHUB_BASE_URL \(github\.baseUrl\): .*Fix: a URL/],
  ["workers", { ...prod, TORNADE_WORKERS: "0" }, undefined, /TORNADE_WORKERS \(workers\.concurrency\).*Fix: a whole number from 1 to 256/],
  ["disk default", { ...prod, TORNADE_DEFAULT_DISK: "500" }, undefined, /TORNADE_DEFAULT_DISK \(defaults\.disk\).*Fix: whole GiB from 21 to 200/],
  ["cpu default not Fargate", { ...prod, TORNADE_DEFAULT_CPU: "3" }, undefined, /TORNADE_DEFAULT_CPU \(defaults\.cpu\): 3 is not a Fargate vCPU value/],
  ["impossible default size", { ...prod, TORNADE_DEFAULT_CPU: "4", TORNADE_DEFAULT_MEMORY: "1024" }, undefined, /TORNADE_DEFAULT_MEMORY \(defaults\.memory\): Fargate does not run 4 vCPU with 1024 MiB. Fix: use 8192–30720/],
  ["size with cpu", { ...prod, TORNADE_DEFAULT_CPU: "4", TORNADE_DEFAULT_SIZE: "small" }, undefined, /TORNADE_DEFAULT_SIZE \(defaults\.size\): cannot be combined/],
  ["no webhook secret", { ...prod, TORNADE_WEBHOOK_SECRET: "" }, undefined, /github\.webhookSecret: missing.*Fix: set TORNADE_WEBHOOK_SECRET/],
  ["no credentials", { ...prod, APP_ID: "", SECRET_KEY_PEM: "" }, undefined, /github credentials: none given\. Fix: set APP_ID and SECRET_KEY_PEM .* or PERSONAL_TOKEN/],
  ["App ID without key", { ...prod, SECRET_KEY_PEM: "" }, undefined, /github\.privateKey: missing.*Fix: set SECRET_KEY_PEM/],
  ["no region", { ...prod, TORNADE_AWS_REGION: "" }, undefined, /aws\.region: missing\. Fix: set TORNADE_AWS_REGION/],
  ["no subnets", { ...prod, TORNADE_SUBNETS: "" }, undefined, /aws\.subnets: missing.*Fix: set TORNADE_SUBNETS/],
  ["no cluster", { ...prod, TORNADE_ECS_CLUSTER: "" }, undefined, /aws\.cluster: missing.*Fix: set TORNADE_ECS_CLUSTER/],
  ["default backend unconfigured", { ...prod, TORNADE_DEFAULT_BACKEND: "CODEBUILD", TORNADE_DEFAULT_ARCH: "ARM64" }, undefined, /defaultBackend\): CODEBUILD on ARM64 .* is not configured/],
  ["JIT parameter prefix", { ...prod, TORNADE_JITCONFIG_PARAMETER_PREFIX: "tornade" }, undefined, /TORNADE_JITCONFIG_PARAMETER_PREFIX \(aws\.jitConfig\.parameterPrefix\): "tornade" must start and end with "\/"/],
  ["the AWS managed SSM key", { ...prod, TORNADE_JITCONFIG_KMS_KEY_ID: "alias/aws/ssm" }, undefined, /TORNADE_JITCONFIG_KMS_KEY_ID \(aws\.jitConfig\.kmsKeyId\): must not be alias\/aws\/ssm.*ReadOnlyAccess/],
  ["no backend at all", { ...prod, TORNADE_TASK_DEFINITION_X86_64: "", TORNADE_TASK_DEFINITION_ARM64: "", TORNADE_CODEBUILD_PROJECT_X86_64: "" }, undefined, /aws: no backend configured/],
  ["ceiling not a size", { ...prod, TORNADE_MAX_CODEBUILD_SIZE: "huge" }, undefined, /TORNADE_MAX_CODEBUILD_SIZE \(limits\.maxCodeBuildSize\): .*Fix: small, medium, large, xlarge or 2xlarge/],
  ["disk ceiling out of range", { ...prod, TORNADE_MAX_DISK: "500" }, undefined, /TORNADE_MAX_DISK \(limits\.maxDisk\): .*Fix: whole GiB from 21 to 200/],
  ["default cpu above its ceiling", { ...prod, TORNADE_DEFAULT_CPU: "16" }, undefined, /TORNADE_DEFAULT_CPU \(defaults\.cpu\): the default asks for 16 vCPU, above this tornade's ceiling of 8 vCPU\. Fix: lower the default, or raise limits\.maxCpu \(env TORNADE_MAX_CPU\)/],
  ["default size above the CodeBuild ceiling", { ...prod, TORNADE_DEFAULT_SIZE: "xlarge" }, undefined, /TORNADE_DEFAULT_SIZE \(defaults\.size\): the default asks for 16 vCPU[\s\S]*TORNADE_DEFAULT_SIZE \(defaults\.size\): the default asks for the CodeBuild size xlarge/],
  ["misspelt file key", prod, "aws:\n  subnet: [x]\n", /aws\.subnet in .*typo\.yaml: unknown key\. Fix: remove it/],
  ["file value of the wrong type", prod, "workers: { concurrency: many }\n", /workers\.concurrency in .*typo\.yaml: .*expected number/],
  ["bad Fargate preset", prod, "sizes: { small: { cpu: 4, memory: 1024 } }\n", /sizes\.small in .*: Fargate does not run 4 vCPU with 1024 MiB.*8192–30720/],
  ["images.default is reserved", prod, "images: { default: { taskDefinitions: { X86_64: x } } }\n", /images\.default in .*: "default" is built from aws\.taskDefinitions/],
  ["image names collide", prod, "images: { Gpu: {}, gpu: {} }\n", /images\.gpu in .*another image is already called "gpu"/],
  ["image entry typo", prod, "images: { gpu: { taskDefinition: {} } }\n", /images\.gpu\.taskDefinition in .*unknown key/],
  ["YAML syntax, at its line and column", prod, "aws:\n  region: us-east-1\n  region: eu-west-1\n", /typo\.yaml:3:3: not valid YAML: Map keys must be unique\. Fix: correct the syntax there/],
  ["top level not a mapping", prod, "- a\n- b\n", /the top level must be a mapping/],
];

function problemsOf(env: NodeJS.ProcessEnv, path?: string): readonly string[] {
  try {
    loadConfig(env, path);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("loadConfig: each bad value names its key and the fix", () => {
  it.each(problemCases)("%s", (_name, env, fileText, message) => {
    const path = fileText === undefined ? undefined : file("typo.yaml", fileText);
    let caught: unknown;
    try {
      loadConfig(env, path);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toMatch(message);
  });
  it("lists every problem at once", () => {
    const err = (() => { try { loadConfig({ ...prod, PORT: "x", APP_ID: "y" }); } catch (e) { return e as ConfigError; } })();
    expect(err?.problems.length).toBe(2);
  });
  it("names the schema's problems and the later checks' together (issue 12's example)", () => {
    const err = problemsOf({ APP_ID: "abc", SECRET_KEY_PEM: "garbage", TORNADE_SUBNETS: "" });
    expect(err).toEqual([
      expect.stringMatching(/^APP_ID \(github\.appId\): .*expected number/),
      expect.stringMatching(/^SECRET_KEY_PEM \(github\.privateKey\): it is neither PEM text/),
      expect.stringMatching(/^github\.webhookSecret: missing/),
      expect.stringMatching(/^aws\.region: missing/),
      expect.stringMatching(/^aws: no backend configured/),
    ]);
  });
  it("does not ask a process that verifies no delivery (the serverless worker and sweep) for the webhook secret, and asks for the rest", () => {
    const { TORNADE_WEBHOOK_SECRET: _secret, ...unsigned } = prod;
    expect(loadConfig(unsigned, undefined, { verifiesDeliveries: false }).github.webhookSecret).toBeUndefined();
    expect(() => loadConfig({ ...unsigned, TORNADE_AWS_REGION: "" }, undefined, { verifiesDeliveries: false })).toThrow(/aws\.region: missing/);
    expect(() => loadConfig(unsigned)).toThrow(/github\.webhookSecret: missing/);
  });
  it("a refused value is not reported twice (APP_ID refused, then not also \"missing\")", () => {
    const err = problemsOf({ ...prod, APP_ID: "abc" });
    expect(err).toEqual([expect.stringMatching(/^APP_ID \(github\.appId\): .*expected number/)]);
  });
  it("schema problems in a file and cross-field problems in the environment, together", () => {
    const path = file("mixed.yaml", "workers: { concurrency: many }\naws: { subnet: [x] }\npool: { runners: [{ backend: LAMBDA, size: 1 }] }\n");
    const err = problemsOf({ ...prod, TORNADE_DEFAULT_CPU: "3", TORNADE_WEBHOOK_SECRET: "" }, path);
    expect(err.join("\n")).toMatch(/workers\.concurrency in .*mixed\.yaml: .*expected number/);
    expect(err.join("\n")).toMatch(/aws\.subnet in .*mixed\.yaml: unknown key/);
    expect(err.join("\n")).toMatch(/pool\.runners\.0\.backend in .*mixed\.yaml/);
    expect(err.join("\n")).toMatch(/TORNADE_DEFAULT_CPU \(defaults\.cpu\): 3 is not a Fargate vCPU value/);
    expect(err.join("\n")).toMatch(/github\.webhookSecret.*: missing/);
    expect(err).toHaveLength(5);
  });
  it("an unreadable file and an unknown extension", () => {
    expect(() => loadConfig({}, join(dir, "missing.yaml"))).toThrow(/--config .*missing\.yaml: cannot read it: no such file \(ENOENT\)\. Fix: check the path/);
    expect(() => loadConfig({ TORNADE_CONFIG: join(dir, "x.toml") })).toThrow(/TORNADE_CONFIG .*x\.toml: unknown file type "\.toml"/);
  });
});

describe("secrets are never printed", () => {
  const c = loadConfig({ ...prod, PERSONAL_TOKEN: "ghp_secret_token" });
  it.each([
    ["JSON.stringify(config)", () => JSON.stringify(c)],
    ["JSON.stringify(config.github)", () => JSON.stringify(c.github)],
    ["util.inspect", () => inspect(c, { depth: 5 })],
    ["describeConfig", () => JSON.stringify(describeConfig(c))],
  ])("%s", (_name, show) => {
    const text = show();
    expect(text).not.toContain("s3cret-hook");
    expect(text).not.toContain("ghp_secret_token");
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).toContain(REDACTED);
    expect(text).toContain("12345");
  });
  it("the values themselves are still there for the code that needs them", () => {
    expect(c.github.webhookSecret).toBe("s3cret-hook");
  });
});

describe("cost ceilings", () => {
  it("are on by default: 50 runners, 8 vCPU, 32 GiB, 100 GiB of disk, CodeBuild large", () => {
    const c = loadConfig(prod);
    expect(c.limits).toMatchObject({ maxRunners: 50, maxCpu: 8, maxMemory: 32768, maxDisk: 100, maxCodeBuildSize: "large" });
    expect(policyOf(c).ceilings).toMatchObject({ maxCpu: 8, maxMemory: 32768, maxDisk: 100, maxCodeBuildSize: "large" });
  });
  it("are read from the environment and reach the label grammar", () => {
    const c = loadConfig({ ...prod, TORNADE_MAX_RUNNERS: "500", TORNADE_MAX_CPU: "16", TORNADE_MAX_MEMORY: "122880", TORNADE_MAX_DISK: "200", TORNADE_MAX_CODEBUILD_SIZE: "2XLARGE" });
    expect(c.limits).toMatchObject({ maxRunners: 500, maxCpu: 16, maxMemory: 122880, maxDisk: 200, maxCodeBuildSize: "2xlarge" });
    expect(explainLabels(["self-hosted", "fast", "size=2xlarge"], policyOf(c)).launch).toBe(true);
    expect(explainLabels(["self-hosted", "fast", "size=2xlarge"], policyOf(loadConfig(prod))).error).toMatch(/raise limits\.maxCpu/);
  });
});

describe("policyOf / loadPolicy", () => {
  it("knows which backends and arches are configured", () => {
    const p = policyOf(loadConfig(prod));
    expect(p.available).toEqual({ FARGATE: ["X86_64", "ARM64"], FARGATE_SPOT: ["X86_64", "ARM64"], CODEBUILD: ["X86_64"] });
    expect(p.launchLabel).toBe("fast");
    expect(explainLabels(["self-hosted", "fast", "runs-on=CODEBUILD", "arch=ARM64"], p).error).toMatch(/CODEBUILD on ARM64 is not configured/);
  });
  it("public repositories: refused unless TORNADE_ALLOW_PUBLIC_REPOSITORIES or the file says so", () => {
    expect(policyOf(loadConfig(prod)).allowPublicRepositories).toBe(false);
    expect(policyOf(loadConfig({ ...prod, TORNADE_ALLOW_PUBLIC_REPOSITORIES: "yes" })).allowPublicRepositories).toBe(true);
    expect(loadPolicy({}, file("pub.yaml", "github: { allowPublicRepositories: true }\n")).allowPublicRepositories).toBe(true);
    expect(() => loadConfig({ ...prod, TORNADE_ALLOW_PUBLIC_REPOSITORIES: "sometimes" })).toThrow(
      /TORNADE_ALLOW_PUBLIC_REPOSITORIES \(github\.allowPublicRepositories\): .*Fix: true or false \(false refuses public repositories/,
    );
  });
  it("explain works with only a launch label configured", () => {
    const p = loadPolicy({ LAUNCH_LABEL: "mine" });
    expect(explainLabels(["self-hosted", "mine", "runs-on=CODEBUILD"], p)).toMatchObject({ launch: true, backend: "CODEBUILD" });
  });
  it("custom presets and image names reach the grammar", () => {
    const cfg = file("p.yaml", "sizes: { small: { cpu: 1, memory: 2048 } }\nimages: { gpu: {} }\n");
    const p = loadPolicy({}, cfg);
    expect(explainLabels(["self-hosted", "tornade", "size=small", "image=GPU"], p)).toMatchObject({ cpu: 1, memory: 2048, image: "gpu" });
    expect(explainLabels(["self-hosted", "tornade", "size=medium"], p)).toMatchObject({ cpu: 4, memory: 8192 });
  });
});

describe("configReference", () => {
  it("documents every variable loadConfig reads", async () => {
    const { configReference } = await import("./reference.js");
    const { ENV_VARS } = await import("./env.js");
    const text = configReference();
    for (const v of ENV_VARS) expect(text).toContain(`\`${v.name}\``);
    expect(text).toContain("TORNADE_CONFIG");
  });
});
