/**
 * The dashboard in a real browser: headless Chromium (Debian's, driven by playwright-core) opens / of a sandbox
 * tornade, the seed workflow and a job with hostile labels are queued, and the page — never reloaded — shows every
 * job reaching its outcome on its backend, and the hostile strings as text.
 *
 * Needs Chromium: `apt-get install chromium` (CI's .ci/run installs it). Without it this test FAILS, on purpose.
 * Browser-side code is passed as strings: the project compiles without the DOM library.
 */
import { copyFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type QueuedJob, type Sandbox } from "../../src/sandbox/sandbox.js";
import { openBrowser, type Browser } from "../support/chromium.js";

const HOSTILE_LABEL = "<img src=x onerror=window.__pwned=1>";
const HOSTILE_NAME = "<b>evil</b><script>window.__pwned=2</script>";
const SCREENSHOT_MAX_BYTES = 300 * 1024;

let sandbox: Sandbox;
let opened: Browser;
let page: Page;
let userDataDir: string;
let seed: QueuedJob[];
let hostile: QueuedJob[];

beforeAll(async () => {
  sandbox = await startSandbox({ speed: 100, logger: silentLogger, port: 0 });
  opened = await openBrowser();
  ({ page, dir: userDataDir } = opened);
}, 60_000);

afterAll(async () => {
  await opened?.close();
  await sandbox?.close();
});

/**
 * The page's document, typed for functions Playwright runs in the browser (it sends their source, which the CSP allows;
 * string expressions would need eval, which it forbids). They cannot close over anything, hence the inline casts.
 */
interface BrowserDoc {
  querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null;
}
type BrowserGlobal = { document: BrowserDoc };

const rowStates = () =>
  page.$$eval("#jobs tbody tr[data-job-id]", (rows) => Object.fromEntries(rows.map((r) => [r.getAttribute("data-job-id"), r.getAttribute("data-state")])));

describe("dashboard in headless Chromium", () => {
  it("shows a sandbox run's jobs reaching their outcomes live, without a reload", async () => {
    await page.goto(sandbox.tornade.adminUrl);
    await expect(page.title()).resolves.toBe("tornade");
    // A marker a reload would wipe, and a record of every state each row is drawn in.
    await page.evaluate(`(() => {
      window.__marker = "same page";
      window.__seen = {};
      new MutationObserver(() => {
        for (const r of document.querySelectorAll("#jobs tbody tr[data-job-id]")) {
          const id = r.getAttribute("data-job-id");
          const seen = (window.__seen[id] ??= []);
          if (seen[seen.length - 1] !== r.getAttribute("data-state")) seen.push(r.getAttribute("data-state"));
        }
      }).observe(document.getElementById("jobs"), { childList: true, subtree: true });
    })()`);

    // One Spot capacity shortage, so the run also shows a failure and its fallback to on-demand Fargate.
    sandbox.bed.aws.control.capacityShortage({ capacityProvider: "FARGATE_SPOT", times: 1 });
    seed = await sandbox.queueSeedWorkflow();
    const launched = seed.filter((j) => j.name !== "static").map((j) => String(j.jobId));
    await page.waitForFunction(
      (ids) => ids.every((id) => (globalThis as unknown as BrowserGlobal).document.querySelector(`#jobs tr[data-job-id="${id}"]`)?.getAttribute("data-state") === "done"),
      launched,
      { timeout: 25_000, polling: 200 },
    );

    const states = await rowStates();
    for (const id of launched) expect(states[id]).toBe("done");
    const staticJob = seed.find((j) => j.name === "static");
    expect(states[String(staticJob?.jobId)]).toBe("static");

    const info = (await page.evaluate("({ marker: window.__marker, seen: window.__seen })")) as { marker?: string; seen: Record<string, string[]> };
    expect(info.marker).toBe("same page");
    // At least one job was drawn before it was done, and then done: the page followed it.
    const followed = launched.filter((id) => (info.seen[id] ?? []).length > 1 && info.seen[id]?.at(-1) === "done");
    expect(followed.length).toBeGreaterThan(0);

    // Each job on the backend and arch its labels name.
    const backends = await page.$$eval("#jobs tbody tr[data-job-id]", (rows) =>
      Object.fromEntries(rows.map((r) => [r.querySelector(".name")?.textContent ?? "", r.querySelector(".backend")?.textContent ?? ""])),
    );
    expect(backends).toMatchObject({
      fargate_x86: "FARGATE/X86_64",
      fargate_arm64: "FARGATE/ARM64",
      fargate_spot: "FARGATE/X86_64",
      codebuild_x86: "CODEBUILD/X86_64",
      codebuild_arm64: "CODEBUILD/ARM64",
      static: "–",
    });
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobal).document.querySelector('[data-count="done"] b')?.textContent === "5", undefined, { timeout: 5_000 });
    expect(await page.textContent("#backends tbody")).toMatch(/CODEBUILD/);
    expect(await page.textContent("#cost")).toMatch(/on AWS, against \$[\d.]+ on GitHub-hosted/);
    expect(await page.textContent("#ceilings")).toMatch(/^Cost ceilings: at most 50 runners at once; per runner at most 8 vCPU/);
    expect(await page.locator("#chart svg rect").count()).toBeGreaterThan(0);
    // Both series: queued → runner online (blue) and queued → job started (green, from GitHub's started_at).
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobal).document.querySelector("#chart-note")?.textContent?.includes("job started (green)") === true, undefined, { timeout: 5_000 });
    expect(await page.locator('#chart svg rect[fill="#1a7f37"]').count()).toBeGreaterThan(0);
    // The sandbox runs on a compressed clock, and the page says so; no policy violation happened.
    expect(await page.locator("#clock").isVisible()).toBe(true);
    expect(await page.textContent("#clock")).toBe("simulated clock, 100× real time");
    expect(await page.textContent("#status")).toMatch(/^live · simulated \d\d:\d\d:\d\d UTC/);
    expect(await page.locator("#violations").isVisible()).toBe(false);
    const events = await page.locator("#events li").allTextContents();
    expect(events.some((e) => /fallback.*fargate_spot.*FARGATE_SPOT → FARGATE/.test(e))).toBe(true);
    expect(events.some((e) => /failure.*fargate_spot.*on FARGATE_SPOT: capacity/i.test(e))).toBe(true);
  });

  it("takes a screenshot small enough for the README", async () => {
    const file = join(userDataDir, "dashboard.png");
    await page.screenshot({ path: file, fullPage: false });
    const bytes = statSync(file).size;
    expect(bytes).toBeGreaterThan(10_000);
    expect(bytes).toBeLessThan(SCREENSHOT_MAX_BYTES);
    // TORNADE_UPDATE_SCREENSHOT=1 refreshes the committed docs/images/dashboard.png.
    if (process.env["TORNADE_UPDATE_SCREENSHOT"] === "1") copyFileSync(file, new URL("../../docs/images/dashboard.png", import.meta.url));
  });

  it("renders hostile labels, names and reasons as text, running none of them", async () => {
    hostile = await sandbox.queueScenario({
      jobs: [{ name: HOSTILE_NAME, labels: ["self-hosted", "tornade", HOSTILE_LABEL, `arch=${HOSTILE_LABEL}`], durationSeconds: 60, count: 1 }],
    });
    const row = page.locator(`#jobs tr[data-job-id="${hostile[0]?.jobId}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute("data-state")).toBe("rejected");
    await expect(row.locator(".name").textContent()).resolves.toBe(HOSTILE_NAME);
    const labels = await row.locator(".label").allTextContents();
    expect(labels).toContain(HOSTILE_LABEL);
    expect(await row.locator(".reason").textContent()).toContain(HOSTILE_LABEL);
    expect(await page.locator("#events").textContent()).toContain(HOSTILE_LABEL);
    // No element was made from the strings, and nothing ran.
    expect(await page.locator("img, main script, #jobs b, #events b").count()).toBe(0);
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
  });

  it("shows a runner taken by a job tornade refuses as a policy violation", async () => {
    // Queued first and served first: a job without the launch label, whose labels tornade's runner covers.
    const bare = sandbox.bed.github.control.createRun({ jobs: [{ name: "bare-self-hosted", labels: ["self-hosted"], durationSeconds: 60 }] }).jobs[0];
    const [robbed] = await sandbox.queueScenario({ jobs: [{ name: "robbed", labels: ["self-hosted", "tornade", "${{ github.run_id }}"], durationSeconds: 60, count: 1 }] });
    const badge = page.locator("#violations");
    await badge.waitFor({ state: "visible", timeout: 15_000 });
    expect(await badge.textContent()).toBe("1 policy violation, listed under recent failures");
    const event = page.locator('#events li[data-kind="policy-violation"]');
    await expect(event.textContent()).resolves.toContain(`job ${robbed?.jobId} (robbed)`);
    await expect(event.textContent()).resolves.toContain(`taken by job ${Number(bare?.id)} of tornade-org/app, which this tornade refuses`);
  });

});
