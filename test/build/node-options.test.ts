/**
 * `tornade serve` runs with SERVE_NODE_OPTIONS (src/config/node-options.ts) wherever tornade ships it: both container
 * images and the container layout docs/deploy-aws.md gives. The test bed's and the benchmarks' processes use the same
 * constant (test/support/tornade-process.ts), so what `npm run bench` measures is what these run.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SERVE_NODE_OPTIONS } from "../../src/config/node-options.js";

const ENV_LINE = /^ENV\b[\s\S]*?(?<!\\)\n/m;

/** The NODE_OPTIONS the first ENV instruction (continuation lines included) sets, or undefined. */
function nodeOptionsOf(dockerfile: string): string | undefined {
  const env = ENV_LINE.exec(`${dockerfile}\n`)?.[0] ?? "";
  return /\bNODE_OPTIONS=("[^"]*"|\S+)/.exec(env)?.[1]?.replace(/^"|"$/g, "");
}

describe("the Node flags of a deployed `tornade serve`", () => {
  const sources = {
    "Dockerfile": readFileSync("Dockerfile", "utf8"),
    "infra/controller-image/Dockerfile": readFileSync("infra/controller-image/Dockerfile", "utf8"),
    "docs/deploy-aws.md (the container layout)": /## The container layout[\s\S]*?```dockerfile\n([\s\S]*?)```/.exec(readFileSync("docs/deploy-aws.md", "utf8"))?.[1] ?? "",
  };
  for (const [name, text] of Object.entries(sources)) {
    it(`are set by ${name}`, () => {
      expect(nodeOptionsOf(text)).toBe(SERVE_NODE_OPTIONS);
    });
  }
});
