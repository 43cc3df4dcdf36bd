/**
 * Writes the App credentials GitHub returned into a configuration file `tornade serve` reads (--config FILE or
 * TORNADE_CONFIG): JSON with a `github` section, readable by its owner only (0600), never overwriting a file that
 * exists (a working App's key must not be lost to a second run of the wizard).
 */
import { link, open, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import type { RunnerScope } from "./manifest.js";

export interface AppCredentials {
  readonly appId: number;
  readonly privateKeyPem: string;
  readonly webhookSecret: string;
  /** The API base URL the App lives on; written only when it is not api.github.com. */
  readonly apiBaseUrl: string;
  readonly scope: RunnerScope;
}

export class CredentialsFileExists extends Error {
  override readonly name = "CredentialsFileExists";
  constructor(readonly path: string) {
    super(`${path} already exists; tornade will not overwrite App credentials. Move it away (or set another path) and start /setup again`);
  }
}

export function credentialsDocument(c: AppCredentials): { github: Record<string, unknown> } {
  return {
    github: {
      appId: c.appId,
      privateKey: c.privateKeyPem,
      webhookSecret: c.webhookSecret,
      ...(c.apiBaseUrl.replace(/\/+$/, "") === "https://api.github.com" ? {} : { baseUrl: c.apiBaseUrl }),
      ...(c.scope === "org" ? { runnerScope: "org" } : {}),
    },
  };
}

/**
 * Written to a temporary file created 0600 (so the key is never readable by others, not even for a moment), synced,
 * then hard-linked to `path`: link() fails with EEXIST instead of replacing, which makes "never overwrite" atomic.
 */
export async function writeCredentialsFile(path: string, c: AppCredentials): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(credentialsDocument(c), null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new CredentialsFileExists(path);
    throw e;
  } finally {
    await unlink(tmp);
  }
}
