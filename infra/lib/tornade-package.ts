/**
 * What the construct takes from the installed tornade package, through the subpaths its package.json exports: the
 * Lambda handlers as tornade's build bundled them (dist/lambda-bundle), and the runner image's build context
 * (runner-image/). Resolved with Node's own resolution from this file, so it is the tornade installed beside
 * @tornade/cdk in the user's app (in tornade's repository, the workspace's link to the repository itself). Nothing is
 * bundled or compiled at synth: what deploys is what tornade's release built and tested.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";

/** The serverless handlers, each `NAME.mjs` in the bundle exporting `handler` (tornade's src/lambda/NAME.ts). */
export const HANDLERS = ["webhook", "worker", "events", "sweep"] as const;
export type HandlerName = (typeof HANDLERS)[number];

const require = createRequire(import.meta.url);

function fromTornade(specifier: string, what: string): string {
  try {
    return require.resolve(specifier);
  } catch (e) {
    throw new Error(
      `@tornade/cdk: ${what} (${specifier}) is not in the installed tornade package: ${(e as Error).message.split("\n")[0] ?? ""}. ` +
        "Fix: npm install tornade beside @tornade/cdk (a version its peerDependencies name); in tornade's repository, npm run build",
    );
  }
}

/** The folder holding every handler's bundle (one CDK asset for all four functions); handler `NAME.handler`. */
export function lambdaBundleDir(): string {
  const dirs = new Set(HANDLERS.map((name) => dirname(fromTornade(`tornade/lambda-bundle/${name}.mjs`, `the ${name} function's bundle`))));
  const [dir] = dirs;
  if (dir === undefined || dirs.size !== 1) throw new Error(`@tornade/cdk: tornade's handlers are not in one folder (${[...dirs].join(", ")})`);
  return dir;
}

/** The runner image's Docker build context: Dockerfile, entrypoint, buildspec. */
export function runnerImageDir(): string {
  return dirname(fromTornade("tornade/runner-image/Dockerfile", "the runner image"));
}

/** The runner image's CodeBuild buildspec (the runner projects inline it). */
export function runnerBuildspecFile(): string {
  return fromTornade("tornade/runner-image/buildspec.yml", "the runner buildspec");
}

/**
 * The installed tornade's version: what the functions run. A controller image of your own (the container layout,
 * docs/deploy-aws.md) installs the same version, so that one `npm install tornade@NEW` upgrades both.
 */
export function tornadeVersion(): string {
  const manifest = require(fromTornade("tornade/package.json", "the package's manifest")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error("@tornade/cdk: the installed tornade's package.json names no version");
  return manifest.version;
}
