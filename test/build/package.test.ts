/**
 * The npm package as a user gets it (issue 12): `npm pack`, then `npm install --omit=dev` of the tarball into an empty
 * folder outside the repository, then the installed `tornade` runs every command. The same install with the test
 * bed removed is the controller's container image (Dockerfile): production `serve` runs, the sandbox says it is absent.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedClock } from "../../src/clock/clock.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { spawnTornade, testbedEnv } from "../support/bed-tornade.js";
import { freePort, startTornade } from "../support/tornade-process.js";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const work = mkdtempSync(join(tmpdir(), "tornade-package-"));
const app = join(work, "app");
let tarball = "";
let files: string[] = [];
let bin = "";

/** npm with the developer's npm configuration (registry, cache, node-gyp headers) but run from the empty folder. */
async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run("npm", args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" } });
  return stdout;
}

beforeAll(async () => {
  // `npm test` built dist/ just before; pack what is there (--ignore-scripts: no second build).
  const packed = JSON.parse(await npm(["pack", "--json", "--ignore-scripts", "--pack-destination", work], root)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, packed[0]?.filename ?? "");
  files = (packed[0]?.files ?? []).map((f) => f.path);
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "user-app", private: true }));
  // Offline-friendly: the packages come from the cache `npm ci` filled; better-sqlite3 compiles against Node's headers.
  await npm(["install", "--omit=dev", "--prefer-offline", tarball], app);
  bin = join(app, "node_modules/tornade/bin/tornade.js");
}, 600_000);

// A few hundred megabytes of node_modules: removing them takes a while on a busy machine.
afterAll(() => rm(work, { recursive: true, force: true }), 300_000);

describe("the npm tarball", () => {
  it("holds the compiled package, the lazily loaded test bed, what @tornade/cdk deploys, and no tests, fixtures, sources or benchmarks", () => {
    expect(files).toContain("bin/tornade.js");
    // The bundled command the launcher runs, its dashboard's assets beside it, and the compiled modules the package's
    // exports (tornade/config, …) and the sandbox's test bed load.
    expect(files).toContain("dist/cli/main.mjs");
    expect(files).toContain("dist/cli/assets/app.js");
    expect(files).toContain("dist/src/cli/main.js");
    expect(files).toContain("dist/src/cli/main.d.ts");
    expect(files).toContain("dist/src/cli/main.js.map");
    expect(files).toContain("dist/testbed/index.js");
    expect(files).toContain("dist/testbed/aws/models/ecs.json");
    expect(files).toContain("dist/src/dashboard/assets/app.js");
    // The Lambda handlers as the build bundled them, and the runner image's build context (@tornade/cdk deploys both).
    for (const h of ["webhook", "worker", "events", "sweep"]) expect(files).toContain(`dist/lambda-bundle/${h}.mjs`);
    for (const f of ["Dockerfile", "entrypoint.sh", "start-dockerd.sh", "buildspec.yml", ".dockerignore"]) expect(files).toContain(`runner-image/${f}`);
    const unwanted = files.filter(
      (f) =>
        /(^|\/)(test|bench|scripts|infra|docs)\//.test(f) ||
        /\.test\.|\.contract\.|test-support|test-helpers|testbed\/spec\//.test(f) ||
        (f.endsWith(".ts") && !f.endsWith(".d.ts")),
    );
    expect(unwanted).toEqual([]);
  });

  it("installs without dev dependencies and answers --help and explain", async () => {
    expect(existsSync(join(app, "node_modules/vitest"))).toBe(false);
    expect(existsSync(join(app, "node_modules/tsx"))).toBe(false);
    const help = await spawnTornade(["--help"], {}, app, bin);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: tornade <command>/);
    const explain = await spawnTornade(["explain", "--labels", "self-hosted,tornade,1,runs-on=FARGATE_SPOT,arch=ARM64"], {}, app, bin);
    expect(explain.stderr).toBe("");
    expect(JSON.parse(explain.stdout)).toMatchObject({ launch: true, backend: "FARGATE_SPOT", arch: "ARM64" });
  });

  it("runs the sandbox: the seed workflow completes", async () => {
    const r = await spawnTornade(["sandbox", "--json"], {}, app, bin);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { totals: { completed: number; failed: number; pending: number } };
    expect(result.totals).toMatchObject({ completed: 5, failed: 0, pending: 0 });
  });

  describe("against a test bed", () => {
    let bed: TestBed;
    const origin = Date.now();
    beforeAll(async () => {
      bed = await startTestBed({ clock: sharedClock(1, origin), runnerLog: () => {} });
    });
    afterAll(async () => bed?.close());

    it("check passes, serve starts and stops, cost reads what serve stored", async () => {
      const env = testbedEnv(bed);
      const check = await spawnTornade(["check"], env, app, bin);
      expect(check.stdout + check.stderr).not.toMatch(/✗|FAIL/);
      expect(check.code).toBe(0);
      const storePath = join(work, "tornade.db");
      const serve = await startTornade(bed, { bin, port: await freePort(), storePath, clock: { speed: 1, origin } });
      serve.child.kill("SIGTERM");
      expect(await serve.exited).toBe(0);
      const cost = await spawnTornade(["cost", "--since", "1d"], { ...env, TORNADE_STORE_PATH: storePath }, app, bin);
      expect(cost.stderr).toBe("");
      expect(cost.code).toBe(0);
    });

    it("without the test bed (the container image's layout) serve still runs, and the sandbox says it is absent", async () => {
      rmSync(join(app, "node_modules/tornade/dist/testbed"), { recursive: true });
      const serve = await startTornade(bed, { bin, port: await freePort(), storePath: join(work, "image.db"), clock: { speed: 1, origin } });
      serve.child.kill("SIGTERM");
      expect(await serve.exited).toBe(0);
      const sandbox = await spawnTornade(["serve", "--sandbox", "--port", "0"], {}, app, bin);
      expect(sandbox.code).toBe(1);
      expect(sandbox.stderr).toMatch(/this installation has no sandbox/);
    });
  });
});
