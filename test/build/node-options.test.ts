/**
 * `tornade serve` runs with SERVE_ENV (src/config/node-options.ts: NODE_OPTIONS and MALLOC_ARENA_MAX) wherever tornade
 * ships it: both container images and the container layout docs/deploy-aws.md gives. The test bed's and the
 * benchmarks' processes use the same constant (test/support/tornade-process.ts), so what `npm run bench` measures is
 * what these run. The V8 flags NODE_OPTIONS refuses are set by the launcher, and must be flags this Node knows: V8
 * ignores an unknown one, saying so only on stderr.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SERVE_ENV, SERVE_V8_FLAGS } from "../../src/config/node-options.js";

const ENV_LINE = /^ENV\b[\s\S]*?(?<!\\)\n/m;

/** The value the first ENV instruction (continuation lines included) gives `name`, or undefined. */
function envOf(dockerfile: string, name: string): string | undefined {
  const env = ENV_LINE.exec(`${dockerfile}\n`)?.[0] ?? "";
  return new RegExp(`\\b${name}=("[^"]*"|\\S+)`).exec(env)?.[1]?.replace(/^"|"$/g, "");
}

describe("the environment of a deployed `tornade serve`", () => {
  const sources = {
    "Dockerfile": readFileSync("Dockerfile", "utf8"),
    "infra/controller-image/Dockerfile": readFileSync("infra/controller-image/Dockerfile", "utf8"),
    "docs/deploy-aws.md (the container layout)": /## The container layout[\s\S]*?```dockerfile\n([\s\S]*?)```/.exec(readFileSync("docs/deploy-aws.md", "utf8"))?.[1] ?? "",
  };
  for (const [name, text] of Object.entries(sources)) {
    it(`is set by ${name}`, () => {
      for (const [variable, value] of Object.entries(SERVE_ENV)) expect({ variable, value: envOf(text, variable) }).toEqual({ variable, value });
    });
  }
});

describe("the V8 flags `tornade serve` sets on itself", () => {
  it("are flags this Node.js knows", () => {
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", `import { applyServeV8Flags } from ${JSON.stringify(resolve("dist/src/config/node-options.js"))}; applyServeV8Flags();`], { encoding: "utf8" });
    expect(SERVE_V8_FLAGS.length).toBeGreaterThan(0);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
  });

  it("are set by the launcher for `serve` only, before the command's modules load", () => {
    const launcher = readFileSync("bin/tornade.js", "utf8");
    const applied = launcher.indexOf("applyServeV8Flags();");
    expect(launcher).toMatch(/if \(process\.argv\[2\] === "serve"\) \{\s*const \{ applyServeV8Flags \}/);
    expect(applied).toBeGreaterThan(0);
    expect(applied).toBeLessThan(launcher.indexOf("await import(main.href)"));
  });
});
