/**
 * Test support: headless Debian Chromium driven by playwright-core, for the dashboard's browser tests. Without
 * Chromium the tests FAIL, on purpose, naming the package to install.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export function chromiumPath(): string {
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (existsSync(p)) return p;
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("Chromium is not installed, and the dashboard test needs it. Fix: apt-get install chromium (CI's .ci/run does)");
  }
}

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** A directory of its own (the profile), for screenshots too. */
  readonly dir: string;
  close(): Promise<void>;
}

/** A fresh headless Chromium with a throw-away profile, one page open. */
export async function openBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  const dir = mkdtempSync(join(tmpdir(), "tornade-chromium-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    viewport: { width: 1280, height: 860 },
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    dir,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
