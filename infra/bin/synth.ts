/**
 * `npm run synth`: synthesizes the example app offline into infra/cdk.out with cdk-nag's AwsSolutions checks, prints
 * every unacknowledged finding and exits 1 if there is any. Offline: no VPC lookup (unless you pass vpcId), no Docker
 * (the Lambda code is tornade's bundle from `npm run build`; the runner image is only staged as an asset, built at
 * deploy).
 * Context: `npm run synth -- -c appId=123456 -c key=value …`; appId defaults to a placeholder here.
 */
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { TornadeRunnersPropsError } from "../lib/index.js";
import { addNag, runNag } from "./nag.js";
import { ContextError, TornadeStack } from "./stack.js";

const PLACEHOLDER_APP_ID = "123456";

function parseContext(argv: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const kv = a === "-c" || a === "--context" ? argv[++i] : a?.startsWith("--context=") ? a.slice(10) : undefined;
    if (kv === undefined || !kv.includes("=")) {
      throw new ContextError(`unexpected argument ${a ?? ""}: use -c key=value`);
    }
    const at = kv.indexOf("=");
    context[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return context;
}

function main(): number {
  const outdir = join(dirname(fileURLToPath(import.meta.url)), "..", "cdk.out");
  rmSync(outdir, { recursive: true, force: true });
  let context: Record<string, string>;
  try {
    context = { appId: PLACEHOLDER_APP_ID, ...parseContext(process.argv.slice(2)) };
  } catch (e) {
    process.stderr.write(`synth: ${(e as Error).message}\n`);
    return 2;
  }
  const app = new App({ outdir, context });
  try {
    new TornadeStack(app, context.stackName ?? "Tornade");
  } catch (e) {
    if (e instanceof ContextError || e instanceof TornadeRunnersPropsError) {
      process.stderr.write(`synth: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  addNag(app);
  const findings = runNag(app);
  if (findings.length > 0) {
    process.stderr.write(`synth: ${findings.length} unacknowledged cdk-nag finding(s):\n`);
    for (const f of findings) process.stderr.write(`  ${f.rule} (${f.severity}) at ${f.path}: ${f.description}\n`);
    process.stderr.write("Fix them, or acknowledge each with its reason in infra/lib/nag-acknowledgements.ts.\n");
    return 1;
  }
  process.stdout.write(`synth: clean (cdk-nag AwsSolutions: no unacknowledged findings); template in ${outdir}\n`);
  return 0;
}

process.exitCode = main();
