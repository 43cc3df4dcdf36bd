/** Where the construct finds the repository's files: the Lambda entry points, the lock file, the runner image. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (infra/ is an npm workspace inside it). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const RUNNER_IMAGE_DIR = join(REPO_ROOT, "runner-image");
export const RUNNER_BUILDSPEC = join(RUNNER_IMAGE_DIR, "buildspec.yml");
export const LOCK_FILE = join(REPO_ROOT, "package-lock.json");

/** The four serverless handlers, each a file exporting `handler` (src/lambda/*.ts). */
export const HANDLERS = ["webhook", "worker", "events", "sweep"] as const;
export type HandlerName = (typeof HANDLERS)[number];

export function handlerEntry(name: HandlerName): string {
  return join(REPO_ROOT, "src", "lambda", `${name}.ts`);
}

export function handlerExists(name: HandlerName): boolean {
  return existsSync(handlerEntry(name));
}
