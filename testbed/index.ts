/**
 * The test bed, composed: the GitHub simulator and the AWS simulator on ONE shared clock, with the simulated runner
 * as what AWS runs inside a task or build. Tests, benchmarks, the sandbox and the standing mode (cli.ts) all start it
 * here, so they all see the same world: a task's runner registers with this GitHub, takes this GitHub's job, and
 * ends this AWS task when the job is done.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { scaledClock, type Clock } from "../src/clock/clock.js";
import { startAwsSim, type AwsSim, type AwsSimOptions } from "./aws/index.js";
import { startGitHubSim, type GitHubSim, type GitHubSimOptions } from "./github/index.js";
import { simulatedRunnerRuntime } from "./runner/index.js";

export interface TestBedOptions {
  /** Shared by both simulators and the runners; real time (speed 1) unless given. */
  clock?: Clock;
  /** Where GitHub delivers webhooks (tornade's POST /events); no deliveries when absent. */
  webhookUrl?: string;
  github?: Partial<GitHubSimOptions>;
  /** `runtime` here replaces the simulated runner (e.g. idleRuntime for AWS-only tests). */
  aws?: Partial<AwsSimOptions>;
  /** Where the simulated runners' log lines go; default stderr, prefixed with the task or build id. */
  runnerLog?: (line: string) => void;
}

/** The standing-mode description: everything a client needs to talk to the test bed (see docs/testbed.md). */
export interface TestBedDescription {
  github: {
    url: string;
    appId: number;
    /** Null until writePrivateKey has put the App's key on disk. */
    privateKeyPath: string | null;
    webhookSecret: string;
    installationId: number;
    owner: string;
    repo: string;
    /** The organization's config URL for GitHub's runner scale set client (GitHubConfigURL): the sim's URL + /OWNER.
     *  With it the client calls the sim's REST API under /api/v3, as on GitHub Enterprise Server. */
    configUrl: string;
  };
  aws: {
    endpoint: string;
    region: string;
    cluster: string;
    taskDefinitions: { X86_64: string; ARM64: string };
    codebuildProject: string;
    subnets: string[];
    securityGroups: string[];
  };
}

export interface TestBed {
  readonly github: GitHubSim;
  readonly aws: AwsSim;
  readonly clock: Clock;
  description(): TestBedDescription;
  /** Writes the App's private key as `<dir>/<name>` (default github-app.private-key.pem), readable by the owner
   *  only (0600, as a private key must be); returns its absolute path, which description() then reports. */
  writePrivateKey(dir: string, name?: string): Promise<string>;
  close(): Promise<void>;
}

export const PRIVATE_KEY_FILE = "github-app.private-key.pem";

export async function startTestBed(opts: TestBedOptions = {}): Promise<TestBed> {
  const clock = opts.clock ?? scaledClock(1);
  const githubOpts: GitHubSimOptions = { ...opts.github, clock };
  if (opts.webhookUrl !== undefined) githubOpts.webhookUrl = opts.webhookUrl;
  // Start both at once; if one fails to listen, close the other so no port or timer is left behind.
  const [gh, aw] = await Promise.allSettled([
    startGitHubSim(githubOpts),
    startAwsSim({ ...opts.aws, clock, runtime: opts.aws?.runtime ?? simulatedRunnerRuntime(opts.runnerLog ? { clock, log: opts.runnerLog } : { clock }) }),
  ]);
  if (gh.status === "rejected" || aw.status === "rejected") {
    await Promise.allSettled([gh.status === "fulfilled" ? gh.value.close() : undefined, aw.status === "fulfilled" ? aw.value.close() : undefined]);
    throw gh.status === "rejected" ? gh.reason : aw.status === "rejected" ? aw.reason : new Error("unreachable");
  }
  const github = gh.value;
  const aws = aw.value;
  let privateKeyPath: string | null = null;
  let closed: Promise<void> | undefined;

  return {
    github,
    aws,
    clock,
    description: () => ({
      github: {
        url: github.url,
        appId: github.appId,
        privateKeyPath,
        webhookSecret: github.webhookSecret,
        installationId: github.installationId,
        owner: github.owner,
        repo: github.repo,
        configUrl: github.configUrl,
      },
      aws: {
        endpoint: aws.endpoint,
        region: aws.region,
        cluster: aws.cluster,
        taskDefinitions: { X86_64: aws.taskDefinitions.X86_64, ARM64: aws.taskDefinitions.ARM64 },
        codebuildProject: aws.codebuildProject,
        subnets: [...aws.subnets],
        securityGroups: [...aws.securityGroups],
      },
    }),
    async writePrivateKey(dir, name = PRIVATE_KEY_FILE) {
      await mkdir(dir, { recursive: true });
      const path = resolve(join(dir, name));
      // mode applies only when the file is created; chmod covers a key left by an earlier run.
      await writeFile(path, github.privateKeyPem, { mode: 0o600 });
      await chmod(path, 0o600);
      privateKeyPath = path;
      return path;
    },
    close() {
      // Runners live in AWS tasks and talk to GitHub: stop AWS first so no runner calls a closed GitHub.
      closed ??= (async () => {
        const results = await Promise.allSettled([aws.close()]);
        results.push(...(await Promise.allSettled([github.close()])));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
      })();
      return closed;
    },
  };
}
