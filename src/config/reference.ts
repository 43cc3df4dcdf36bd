/**
 * The configuration reference as Markdown, generated from the same table loadConfig reads, so the README's reference
 * (issue 3 point 11) cannot drift from the code: paste the output of `configReference()`.
 */
import { CONFIG_FILE_ENV, ENV_VARS } from "./env.js";

export function configReference(): string {
  const rows = ENV_VARS.map((v) => `| \`${v.name}\` | \`${v.key}\` | ${v.doc} |`);
  return [
    "| environment variable | file key | meaning |",
    "| --- | --- | --- |",
    `| \`${CONFIG_FILE_ENV}\` | — | path of a YAML (.yaml/.yml) or JSON (.json) file; \`--config FILE\` wins |`,
    ...rows,
    "| — | `images.NAME.taskDefinitions.X86_64/ARM64`, `images.NAME.codebuildImages.X86_64/ARM64` | runner images for `image=NAME`; `default` is built from `aws.taskDefinitions` and `aws.codebuild.images` |",
    "| — | `sizes.small … sizes.2xlarge` (`{cpu, memory}`) | Fargate `size=` presets; defaults 2/4 GiB, 4/8, 8/16, 16/64, 16/120 |",
    "",
    "An environment variable overrides the same key in the file. With no file and none of these variables, `tornade serve`",
    "refuses to start and names what to set; `tornade serve --sandbox` runs against simulated GitHub and AWS instead.",
    "Secrets (private key, tokens, webhook secret, admin token) are never printed.",
    "",
    "A bad configuration is refused with every problem named at once, each with its key (file key or variable) and the",
    "fix: values the schema refuses, the private key, and what `serve` needs (credentials, region, backends, pool) —",
    "the same list in `tornade serve` and `tornade check`; `tornade explain --config` names every problem of what it",
    "reads (it needs no credentials).",
  ].join("\n");
}
