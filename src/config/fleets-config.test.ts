// aws.codebuild.fleets (docs/standby.md, "CodeBuild fleets"): read from a file or TORNADE_CODEBUILD_FLEETS, offered to
// the label grammar by name, refused with the key named when malformed.
import { describe, expect, it } from "vitest";
import { interpretLabels } from "../core/labels.js";
import { MINIMAL_SERVE_ENV } from "../../test/support/config-env.js";
import { ConfigError, loadConfig, policyOf } from "./index.js";

const prod: NodeJS.ProcessEnv = { ...MINIMAL_SERVE_ENV, TORNADE_CODEBUILD_PROJECT_X86_64: "runner" };
const ARN = "arn:aws:codebuild:us-east-1:123456789012:fleet/warm-pool:2f1c";

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.join("\n");
    throw e;
  }
  return "";
}

describe("aws.codebuild.fleets", () => {
  it("is empty by default, and fleet= is then refused", () => {
    const config = loadConfig(prod);
    expect(config.aws.codebuild.fleets).toEqual({});
    expect(interpretLabels(["self-hosted", "tornade", "runs-on=CODEBUILD", "fleet=warm-pool"], policyOf(config)).kind).toBe("error");
  });

  it("reads NAME=FLEET_ARN pairs from the environment and offers the names to fleet=", () => {
    const config = loadConfig({ ...prod, TORNADE_CODEBUILD_FLEETS: `warm-pool=${ARN}, big=${ARN}-2` });
    expect(config.aws.codebuild.fleets).toEqual({ "warm-pool": ARN, big: `${ARN}-2` });
    const v = interpretLabels(["self-hosted", "tornade", "runs-on=CODEBUILD", "fleet=big"], policyOf(config));
    expect(v.kind === "launch" && v.spec.fleet).toBe("big");
  });

  it("refuses an entry without a name or an ARN, and a name a label cannot carry, naming the variable", () => {
    expect(problems({ ...prod, TORNADE_CODEBUILD_FLEETS: `warm-pool` })).toMatch(/TORNADE_CODEBUILD_FLEETS .*"warm-pool" is not NAME=FLEET_ARN/);
    expect(problems({ ...prod, TORNADE_CODEBUILD_FLEETS: `x=${ARN}` })).toMatch(/TORNADE_CODEBUILD_FLEETS .*a fleet name is 2–128 letters, digits, - and _/);
  });
});
