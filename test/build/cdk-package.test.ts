/**
 * The construct as a user gets it (issue 16): `npm pack` of tornade and of @tornade/cdk, both installed into an empty
 * folder outside the repository beside aws-cdk-lib and constructs, and a ten-line CDK app in TypeScript, compiled
 * with tsc against the installed declarations, that synthesizes offline (app.synth(), as `cdk synth` runs an app).
 * The functions' code and the runner image's build context come from the installed tornade package. Beside it, the
 * apps the docs show — @tornade/cdk's README's complete app (which docs/deploy-aws.md repeats) with its tsconfig, and
 * the guide's container layout with its Dockerfile — taken from the Markdown as written, compiled and synthesized.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const work = mkdtempSync(join(tmpdir(), "tornade-cdk-package-"));
const app = join(work, "app");
const HANDLERS = ["webhook", "worker", "events", "sweep"];
let cdkFiles: string[] = [];
let cdkManifest: { peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>; dependencies?: Record<string, string> } = {};

/** The versions the repository is tested with, from the npm cache `npm ci` filled. */
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
const versionOf = (name: string) => lock.packages[`node_modules/${name}`]?.version ?? "";

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run("npm", args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" } });
  return stdout;
}

type Packed = Array<{ filename: string; files: Array<{ path: string }> }>;
type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>; Outputs?: Record<string, unknown> };

function resourcesOf(template: Template, type: string): Record<string, unknown>[] {
  return Object.values(template.Resources).flatMap((r) => (r.Type === type ? [r.Properties ?? {}] : []));
}

/** The user's app, as infra/README.md shows it. */
const APP = `import { App, Stack } from "aws-cdk-lib";
import { TornadeRunners } from "@tornade/cdk";

const app = new App();
const stack = new Stack(app, "Runners", { env: { account: "111122223333", region: "eu-west-1" } });
new TornadeRunners(stack, "Tornade", {
  github: { appId: 123456, allowedOrganizations: ["acme"] },
  limits: { maxRunners: 20 },
});
app.synth();
`;

/** The first fenced block of `lang` after the line `heading` in one of the repository's Markdown files. */
function codeBlock(file: string, heading: string, lang: string): string {
  const text = readFileSync(join(root, file), "utf8");
  const at = text.indexOf(`\n${heading}\n`);
  const block = at < 0 ? null : new RegExp("^```" + lang + "\n([\\s\\S]*?)^```$", "m").exec(text.slice(at));
  if (block?.[1] === undefined) throw new Error(`${file}: no \`\`\`${lang} block after "${heading}"`);
  return block[1];
}
const README_APP = codeBlock("infra/README.md", "## A complete app", "ts");
const CONTAINER_APP = codeBlock("docs/deploy-aws.md", "## The container layout", "ts");

/** The same app with props the deployed controller would refuse. */
const BAD_APP = APP.replace("limits: { maxRunners: 20 },", "defaults: { cpu: 3 },\n  intake: { webhooks: false },");

/** Runs a compiled app as `cdk synth` would (CDK_OUTDIR set), into its own cloud assembly `cdk.out.NAME`. */
async function node(file: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  const out = join(app, `cdk.out.${basename(file, ".js")}`);
  try {
    const { stdout, stderr } = await run(process.execPath, [file], { cwd: app, env: { ...process.env, ...env, CDK_OUTDIR: out }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr, out };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "", out };
  }
}

beforeAll(async () => {
  // `npm test` built dist/ just before; pack what is there. @tornade/cdk builds itself when packed (prepack).
  const tornade = JSON.parse(await npm(["pack", "--json", "--ignore-scripts", "--pack-destination", work], root)) as Packed;
  const cdk = JSON.parse(await npm(["pack", "--json", "--workspace", "infra", "--pack-destination", work], root)) as Packed;
  cdkFiles = (cdk[0]?.files ?? []).map((f) => f.path);
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "user-cdk-app", private: true, type: "module" }));
  // Offline-friendly: everything comes from the cache `npm ci` filled. No cdk-nag: it is an optional peer.
  await npm(
    [
      "install",
      "--prefer-offline",
      join(work, tornade[0]?.filename ?? ""),
      join(work, cdk[0]?.filename ?? ""),
      `aws-cdk-lib@${versionOf("aws-cdk-lib")}`,
      `constructs@${versionOf("constructs")}`,
      // The docs' apps read process.env, as CDK apps do: Node's types, as the guide's `npm install --save-dev` adds.
      `@types/node@${versionOf("@types/node")}`,
    ],
    app,
  );
  cdkManifest = JSON.parse(readFileSync(join(app, "node_modules/@tornade/cdk/package.json"), "utf8")) as typeof cdkManifest;
  writeFileSync(join(app, "app.ts"), APP);
  writeFileSync(join(app, "bad.ts"), BAD_APP);
  writeFileSync(join(app, "runners.ts"), README_APP);
  writeFileSync(join(app, "container.ts"), CONTAINER_APP);
  mkdirSync(join(app, "controller"));
  writeFileSync(join(app, "controller/Dockerfile"), codeBlock("docs/deploy-aws.md", "## The container layout", "dockerfile"));
  // The README's tsconfig.json, as written.
  writeFileSync(join(app, "tsconfig.json"), codeBlock("infra/README.md", "## A complete app", "json"));
  // The user's TypeScript, checked against the installed declarations of @tornade/cdk, tornade and aws-cdk-lib.
  await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", app], { cwd: app });
}, 900_000);

// Hundreds of megabytes of node_modules: removing them takes a while on a busy machine.
afterAll(() => rm(work, { recursive: true, force: true }), 300_000);

describe("the @tornade/cdk tarball", () => {
  it("holds the compiled construct with declarations, its README and the controller image's Dockerfile, and no sources, tests or example app", () => {
    for (const f of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/tornade-runners.js", "dist/tornade-runners.d.ts", "controller-image/Dockerfile"]) expect(cdkFiles).toContain(f);
    expect(cdkFiles.filter((f) => (f.endsWith(".ts") && !f.endsWith(".d.ts")) || /(^|\/)(test|bin|lib)\//.test(f) || f.includes("cdk.json"))).toEqual([]);
  });

  it("names aws-cdk-lib, constructs and tornade as peers (cdk-nag optional), and bundles none of them", () => {
    expect(cdkManifest.peerDependencies).toEqual({ "aws-cdk-lib": expect.any(String), constructs: expect.any(String), tornade: expect.any(String), "cdk-nag": expect.any(String) });
    expect(cdkManifest.peerDependenciesMeta).toEqual({ "cdk-nag": { optional: true } });
    expect(cdkManifest.dependencies ?? {}).toEqual({});
    expect(existsSync(join(app, "node_modules/cdk-nag"))).toBe(false);
  });
});

describe("a user's CDK app with both packages installed", () => {
  it("synthesizes offline: four functions on tornade's bundle, the runner image from tornade's package", async () => {
    const r = await node("build/app.js");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { out } = r;
    const template = JSON.parse(readFileSync(join(out, "Runners.template.json"), "utf8")) as {
      Resources: Record<string, { Type: string; Properties: { Handler?: string; Environment?: { Variables: Record<string, unknown> } } }>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === "AWS::Lambda::Function" && r.Properties.Environment);
    expect(functions.map((f) => f.Properties.Handler).sort()).toEqual(HANDLERS.map((h) => `${h}.handler`).sort());
    for (const f of functions) expect(f.Properties.Environment?.Variables).toMatchObject({ APP_ID: "123456", TORNADE_ALLOWED_ORGANIZATIONS: "acme", TORNADE_MAX_RUNNERS: "20" });

    // The code asset is the installed tornade's dist/lambda-bundle, file for file.
    const installed = join(app, "node_modules/tornade/dist/lambda-bundle");
    const assets = readdirSync(out).filter((d) => d.startsWith("asset."));
    const code = assets.find((d) => existsSync(join(out, d, "webhook.mjs")));
    expect(code, `no handler bundle among ${assets.join(", ")}`).toBeDefined();
    expect(readdirSync(join(out, code ?? "")).sort()).toEqual(readdirSync(installed).sort());
    // Each handler loads on its own, with no node_modules beside it (as in Lambda).
    const lambdaDir = join(work, "lambda");
    cpSync(join(out, code ?? ""), lambdaDir, { recursive: true });
    for (const h of HANDLERS) {
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", `const m = await import('./${h}.mjs'); console.log(typeof m.handler);`], { cwd: lambdaDir });
      expect(stdout.trim()).toBe("function");
    }

    // The runner image's build context (built at deploy) is the installed tornade's runner-image/.
    const image = assets.find((d) => existsSync(join(out, d, "Dockerfile")));
    expect(image, "no runner image asset").toBeDefined();
    expect(readFileSync(join(out, image ?? "", "entrypoint.sh"), "utf8")).toBe(readFileSync(join(app, "node_modules/tornade/runner-image/entrypoint.sh"), "utf8"));
    // A synth and four imports of the bundle take a while on two busy cores.
  }, 240_000);

  it("refuses props the controller would refuse, every problem at once, naming each prop", async () => {
    const r = await node("build/bad.js");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/TornadeRunnersPropsError: TornadeRunners Runners\/Tornade: invalid props:/);
    expect(r.stderr).toMatch(/- defaults\.cpu: 3 is not a Fargate vCPU value\. Fix: use one of 0\.25, 0\.5, 1, 2, 4, 8, 16/);
    expect(r.stderr).toMatch(/- intake\.webhooks: false leaves jobs no way in/);
  }, 120_000);

  it("synthesizes the README's complete app, which the deploy guide shows as written", async () => {
    expect(codeBlock("docs/deploy-aws.md", "## 2. A CDK app with the packages", "ts")).toBe(README_APP);
    const r = await node("build/runners.js", { CDK_DEFAULT_ACCOUNT: "111122223333", CDK_DEFAULT_REGION: "eu-west-1" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const template = JSON.parse(readFileSync(join(r.out, "Runners.template.json"), "utf8")) as Template;
    const functions = resourcesOf(template, "AWS::Lambda::Function").filter((f) => f["Environment"]);
    expect(functions).toHaveLength(HANDLERS.length);
    for (const f of functions) {
      expect((f["Environment"] as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        TORNADE_DEFAULT_BACKEND: "FARGATE_SPOT",
        TORNADE_DEFAULT_CPU: "2",
        TORNADE_MAX_RUNNERS: "30",
        TORNADE_MAX_RUNNERS_CODEBUILD: "5",
      });
    }
    expect(functions.map((f) => f["ReservedConcurrentExecutions"]).filter((c) => c !== undefined)).toEqual([20]);
    expect(Object.keys(template.Outputs ?? {}).sort()).toEqual(["PrivateKeySecretArn", "WebhookSecretArn", "WebhookUrl"]);
  }, 240_000);

  it("synthesizes the guide's container layout: tornade serve on the construct's runners, table, queue and secrets", async () => {
    const r = await node("build/container.js");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const template = JSON.parse(readFileSync(join(r.out, "Runners.template.json"), "utf8")) as Template;
    const [task] = resourcesOf(template, "AWS::ECS::TaskDefinition").filter((t) => JSON.stringify(t).includes('"tornade"'));
    const container = (task?.["ContainerDefinitions"] as Array<{ Environment: Array<{ Name: string }>; Secrets: Array<{ Name: string }> }> | undefined)?.[0];
    expect(container?.Environment.map((e) => e.Name)).toEqual(expect.arrayContaining(["APP_ID", "TORNADE_STORE", "TORNADE_DYNAMODB_TABLE", "TORNADE_QUEUE", "TORNADE_SQS_QUEUE_URL", "TORNADE_ECS_CLUSTER", "TORNADE_AWS_REGION"]));
    expect(container?.Secrets.map((e) => e.Name).sort()).toEqual(["SECRET_KEY_PEM", "TORNADE_WEBHOOK_SECRET"]);
    // grantController: the task role may launch runners.
    const policies = JSON.stringify(resourcesOf(template, "AWS::IAM::Policy"));
    for (const action of ["ecs:RunTask", "codebuild:StartBuild", "ssm:PutParameter", "sqs:ReceiveMessage"]) expect(policies).toContain(action);
    expect(resourcesOf(template, "AWS::ElasticLoadBalancingV2::Listener").map((l) => l["Protocol"])).toEqual(["HTTPS"]);
    // The controller image: the guide's Dockerfile, installing the tornade the functions run.
    const assets = JSON.parse(readFileSync(join(r.out, "Runners.assets.json"), "utf8")) as { dockerImages: Record<string, { source: { directory: string; dockerBuildArgs?: Record<string, string> } }> };
    const controller = Object.values(assets.dockerImages).find((i) => i.source.dockerBuildArgs?.["TORNADE_VERSION"] !== undefined);
    const installed = JSON.parse(readFileSync(join(app, "node_modules/tornade/package.json"), "utf8")) as { version: string };
    expect(controller?.source.dockerBuildArgs).toEqual({ TORNADE_VERSION: installed.version });
    expect(readFileSync(join(r.out, controller?.source.directory ?? "", "Dockerfile"), "utf8")).toMatch(/npm install --omit=dev .*"tornade@\$\{TORNADE_VERSION\}"/);
  }, 240_000);

  it("loads from CommonJS too (require of the ES module, Node 20.19+), as `cdk init` apps are", async () => {
    const { stdout } = await run(process.execPath, ["-e", 'console.log(typeof require("@tornade/cdk").TornadeRunners)'], { cwd: app });
    expect(stdout.trim()).toBe("function");
  }, 120_000);
});
