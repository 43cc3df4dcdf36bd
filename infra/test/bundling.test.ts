/**
 * The controller's functions are bundled by the local esbuild, offline and without Docker, into an ESM file that
 * Node can load: bundle a stand-in entry through ControllerFunction, then import the bundle and call its handler.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { App, aws_logs as logs, Duration, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, describe, expect, it } from "vitest";
import { ControllerFunction } from "../lib/controller-function.js";

const out = mkdtempSync(join(tmpdir(), "tornade-bundle-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("controller function bundling", () => {
  it("bundles with the local esbuild into a loadable ESM handler", async () => {
    const app = new App({ outdir: out });
    const stack = new Stack(app, "B");
    new ControllerFunction(stack, "F", {
      name: "worker",
      description: "bundling test",
      timeout: Duration.seconds(5),
      environment: {},
      logRetention: logs.RetentionDays.ONE_DAY,
      entry: resolve(import.meta.dirname, "fixtures/handler.ts"),
    });
    const assembly = app.synth();
    const template = Template.fromStack(stack);
    template.hasResourceProperties("AWS::Lambda::Function", { Handler: "index.handler", Runtime: "nodejs24.x", Architectures: ["arm64"] });
    const assetDirs = readdirSync(assembly.directory).filter((d) => d.startsWith("asset."));
    const bundle = assetDirs.map((d) => join(assembly.directory, d, "index.mjs")).find((f) => existsSync(f));
    expect(bundle, `no index.mjs among ${assetDirs.join(", ")}`).toBeDefined();
    const mod = (await import(pathToFileURL(bundle as string).href)) as { handler: () => Promise<{ verdict: { kind: string; spec?: { backend: string } }; logger: boolean }> };
    const result = await mod.handler();
    expect(result.logger).toBe(true);
    expect(result.verdict.kind).toBe("launch");
    expect(result.verdict.spec?.backend).toBe("FARGATE_SPOT");
    // esbuild and a synth take tens of seconds on two busy cores, beyond the suite's default.
  }, 120_000);
});
