/**
 * Standing mode: `npm run testbed -- --port-file FILE [--webhook-url URL] [--speed N] [--boot PROFILE|FILE] [--github-port P] [--aws-port P]`
 *
 * Starts the simulated GitHub and AWS and leaves them running, so tornade (or curl, Octokit, the AWS CLI) can be
 * pointed at them by hand. FILE appears only once both listen, and appears whole (written beside itself, then
 * renamed), so a script may simply wait for it to exist and parse it.
 */
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { sharedClock } from "../src/clock/clock.js";
import { BootModelError, resolveBootModel, type BootModelInput } from "./aws/index.js";
import { startTestBed, type TestBed, type TestBedDescription } from "./index.js";

export const USAGE = `usage: npm run testbed -- --port-file FILE [options]

Starts the simulated GitHub and AWS (ECS, CodeBuild) and writes FILE, a JSON description of both
(URLs, App id, private key path, webhook secret, cluster, task definitions, ..., the clock's origin and speed),
once they listen. \`tornade serve --testbed FILE\` runs tornade against them, on the same clock.
Runs until interrupted (Ctrl-C / SIGTERM), then closes and removes FILE and the key file.

  --port-file FILE    where to write the description (required); the App's private key goes next to it (mode 0600)
  --webhook-url URL   where the simulated GitHub delivers webhooks (tornade's POST /events); none if omitted
  --speed N           clock speed: N simulated milliseconds per real one (default 1: real time)
  --boot PROFILE|FILE how long launches take to boot: "fixed" (default; ~30 s to RUNNING, always the same),
                      "published" (drawn from AWS's and the anchors' published figures), or a JSON file of a boot
                      model (a profile, a seed, overrides per phase, architecture and image size; docs/testbed.md)
  --github-port P     port for the GitHub simulator (default: any free port)
  --aws-port P        port for the AWS simulator (default: any free port)
  -h, --help          this text`;

export interface CliArgs {
  portFile: string;
  webhookUrl?: string;
  speed: number;
  /** A boot profile's name or the path of a boot model file; absent: the fixed profile. */
  boot?: string;
  githubPort: number;
  awsPort: number;
}

export class UsageError extends Error {}

function port(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`${flag} must be a port number 0-65535, got "${v}"`);
  return n;
}

/** Parses the command line; "help" when help was asked for; throws UsageError naming the flag otherwise. */
export function parseArgs(argv: readonly string[]): CliArgs | "help" {
  const out: Partial<CliArgs> & { speed: number; githubPort: number; awsPort: number } = { speed: 1, githubPort: 0, awsPort: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "-h" || arg === "--help") return "help";
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const take = (): string => {
      const v = eq > 0 && arg.startsWith("--") ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === "" || (v.startsWith("--") && eq < 0)) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--port-file":
        out.portFile = take();
        break;
      case "--webhook-url": {
        const v = take();
        let ok = false;
        try {
          ok = ["http:", "https:"].includes(new URL(v).protocol);
        } catch {
          ok = false;
        }
        if (!ok) throw new UsageError(`--webhook-url must be an http(s) URL, got "${v}"`);
        out.webhookUrl = v;
        break;
      }
      case "--speed": {
        const v = take();
        const n = Number(v);
        if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--speed must be a positive number, got "${v}"`);
        out.speed = n;
        break;
      }
      case "--boot":
        out.boot = take();
        break;
      case "--github-port":
        out.githubPort = port(flag, take());
        break;
      case "--aws-port":
        out.awsPort = port(flag, take());
        break;
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  if (!out.portFile) throw new UsageError("--port-file FILE is required");
  return { ...out, portFile: out.portFile };
}

/**
 * The port file: the test bed's description plus its clock. Simulated time is origin + (real now - origin) × speed
 * (src/clock/clock.ts sharedClock), so another process given both — `tornade serve --testbed FILE` — keeps the same
 * time without asking (src/config/testbed-file.ts reads it).
 */
export type PortFile = TestBedDescription & { clock: { origin: number; speed: number } };

/** Writes `text` to `file` so a reader sees either nothing or all of it: a sibling temp file, then rename. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, file);
}

/** `--boot`'s value as a boot model: a profile's name, or a JSON file; a UsageError names the file and every problem. */
export async function loadBoot(value: string | undefined): Promise<BootModelInput | undefined> {
  if (value === undefined) return undefined;
  if (value === "fixed" || value === "published") return { profile: value };
  let text: string;
  try {
    text = await readFile(value, "utf8");
  } catch (e) {
    throw new UsageError(`--boot must be "fixed", "published" or a boot model file; cannot read "${value}": ${e instanceof Error ? e.message : String(e)}`);
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--boot ${value} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    resolveBootModel(input);
  } catch (e) {
    if (e instanceof BootModelError) throw new UsageError(`--boot ${value}: ${e.message}`);
    throw e;
  }
  return input as BootModelInput;
}

function summary(bed: TestBed, args: CliArgs): string {
  const d = bed.description();
  const boot = bed.aws.control.bootModel();
  return [
    `tornade test bed up (clock speed ${args.speed}${args.speed === 1 ? ", real time" : ""}; boot times ${boot.profile}, seed ${boot.seed})`,
    `  GitHub  ${d.github.url}  App ${d.github.appId}, installation ${d.github.installationId}, repo ${d.github.owner}/${d.github.repo}`,
    `  scale sets: config URL ${d.github.configUrl} (runner-registration under /api/v3)`,
    `  AWS     ${d.aws.endpoint}  ${d.aws.region}, cluster ${d.aws.cluster}, CodeBuild project ${d.aws.codebuildProject}`,
    `  webhooks → ${args.webhookUrl ?? "(none: pass --webhook-url)"}`,
    `  described in ${resolve(args.portFile)}; Ctrl-C to stop`,
    `  tornade against it, on its clock: tornade serve --testbed ${resolve(args.portFile)}`,
  ].join("\n");
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs | "help";
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`testbed: ${err.message}\n(run with --help for usage)\n`);
    return 2;
  }
  if (args === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let boot: BootModelInput | undefined;
  try {
    boot = await loadBoot(args.boot);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`testbed: ${err.message}\n`);
    return 2;
  }
  const portFile = resolve(args.portFile);
  const origin = Date.now();
  const bed = await startTestBed({
    clock: sharedClock(args.speed, origin),
    ...(args.webhookUrl === undefined ? {} : { webhookUrl: args.webhookUrl }),
    github: { port: args.githubPort },
    aws: { port: args.awsPort, ...(boot ? { boot } : {}) },
  });
  const keyPath = await bed.writePrivateKey(dirname(portFile), `${basename(portFile).replace(/\.json$/, "")}.github-app-key.pem`);
  const described: PortFile = { ...bed.description(), clock: { origin, speed: args.speed } };
  await writeAtomically(portFile, `${JSON.stringify(described, null, 2)}\n`);
  process.stderr.write(`${summary(bed, args)}\n`);

  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once("SIGINT", () => done("SIGINT"));
    process.once("SIGTERM", () => done("SIGTERM"));
  });
  // A second signal while closing means "now": leave at once.
  const hurry = () => process.exit(130);
  process.once("SIGINT", hurry).once("SIGTERM", hurry);
  process.stderr.write(`testbed: ${signal}, closing\n`);
  await bed.close();
  // The description and key point at ports and a key that no longer exist: do not leave them to be misread.
  await Promise.all([rm(portFile, { force: true }), rm(keyPath, { force: true })]);
  return 0;
}

// Run only as the entry point (bin/run-ts.js sets argv[1] to this file), not when a test imports parseArgs.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`testbed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
