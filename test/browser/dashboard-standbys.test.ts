/**
 * The dashboard's standby panel in headless Chromium (docs/standby.md, "Seen and priced"): a sandbox keeping one
 * FARGATE/X86_64 standby; the panel appears with it waiting, and after a job of its shape ran on it, shows it handed
 * off, a hit rate of 100 %, and the standbys' idle cost next to the runners'. The page is never reloaded.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { openBrowser, type Browser } from "../support/chromium.js";

let sandbox: Sandbox;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  sandbox = await startSandbox({ speed: 60, logger: silentLogger, port: 0, env: { TORNADE_STANDBY: "FARGATE/X86_64=1" } });
  browser = await openBrowser();
  page = browser.page;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
});

interface Cell {
  textContent: string | null;
}
type BrowserGlobal = { document: { querySelector(selector: string): Cell | null } };

/** The text of a standby cell of the page's only shape. */
const cell = (what: string) => page.textContent(`#standbys tbody tr td[data-standbys="${what}"]`);

describe("the dashboard's standby panel", () => {
  it("shows the standby waiting, then handed to a job, with the hit rate and the idle cost beside the runners'", async () => {
    await page.goto(sandbox.tornade.adminUrl);
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobal).document.querySelector('#standbys td[data-standbys="waiting"]')?.textContent === "1", undefined, {
      timeout: 30_000,
      polling: 200,
    });
    expect(await page.isVisible("#standbys-panel")).toBe(true);
    expect(await page.textContent("#standbys tbody tr")).toContain("FARGATE/X86_64");
    expect(await cell("hit-rate")).toBe("–");

    await sandbox.queueScenario({ jobs: [{ name: "warm", labels: ["self-hosted", "tornade", "runs-on=FARGATE", "arch=X86_64"], durationSeconds: 30, count: 1 }] });
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobal).document.querySelector('#jobs tr[data-state="done"]') !== null, undefined, { timeout: 30_000, polling: 200 });
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobal).document.querySelector('#standbys td[data-standbys="handed-off"]')?.textContent === "1", undefined, {
      timeout: 10_000,
      polling: 200,
    });
    expect(await cell("hit-rate")).toBe("100 %");
    const summary = (await page.textContent("#standby-summary")) ?? "";
    expect(summary).toMatch(/^Hit rate 100 % \(1 of 1 jobs served warm\)\. Standby idle time [0-9.]+ min, \$[0-9.]+ on AWS, next to \$[0-9.]+ for the runners\.$/);
    expect(summary).not.toMatch(/\$0\.0000 on AWS/);
  });
});
