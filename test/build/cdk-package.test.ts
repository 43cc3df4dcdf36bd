/**
 * The construct as a user gets it (issue 16): `npm pack` of tornade and of @tornade/cdk, both installed into an empty
 * folder outside the repository beside aws-cdk-lib and constructs, and a ten-line CDK app in TypeScript, compiled
 * with tsc against the installed declarations, that synthesizes offline (app.synth(), as `cdk synth` runs an app).
 * The functions' code and the runner image's build context come from the installed tornade package.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const work = mkdtempSync(join(tmpdir(), "tornade-cdk-package-"));
const app = join(work, "app");
const out = join(app, "cdk.out");
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

/** The same app with props the deployed controller would refuse. */
const BAD_APP = APP.replace("limits: { maxRunners: 20 },", "defaults: { cpu: 3 },\n  intake: { webhooks: false },");

async function node(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [file], { cwd: app, env: { ...process.env, CDK_OUTDIR: out }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
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
    ["install", "--prefer-offline", join(work, tornade[0]?.filename ?? ""), join(work, cdk[0]?.filename ?? ""), `aws-cdk-lib@${versionOf("aws-cdk-lib")}`, `constructs@${versionOf("constructs")}`],
    app,
  );
  cdkManifest = JSON.parse(readFileSync(join(app, "node_modules/@tornade/cdk/package.json"), "utf8")) as typeof cdkManifest;
  writeFileSync(join(app, "app.ts"), APP);
  writeFileSync(join(app, "bad.ts"), BAD_APP);
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, types: [], outDir: "build" }, include: ["*.ts"] }),
  );
  // The user's TypeScript, checked against the installed declarations of @tornade/cdk, tornade and aws-cdk-lib.
  await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", app], { cwd: app });
}, 900_000);

// Hundreds of megabytes of node_modules: removing them takes a while on a busy machine.
afterAll(() => rm(work, { recursive: true, force: true }), 300_000);

describe("the @tornade/cdk tarball", () => {
  it("holds the compiled construct with declarations and its README, and no sources, tests or example app", () => {
    for (const f of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/tornade-runners.js", "dist/tornade-runners.d.ts"]) expect(cdkFiles).toContain(f);
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

  it("loads from CommonJS too (require of the ES module, Node 20.19+), as `cdk init` apps are", async () => {
    const { stdout } = await run(process.execPath, ["-e", 'console.log(typeof require("@tornade/cdk").TornadeRunners)'], { cwd: app });
    expect(stdout.trim()).toBe("function");
  }, 120_000);
});
