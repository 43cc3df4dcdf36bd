/**
 * The bursts' dispatch curves (launched jobs over simulated time, with the floor's staircase) and the queue-time
 * distribution (share of jobs started within t), drawn as SVG and rasterized by Debian's Chromium through
 * playwright-core: offline, a fresh profile, no network.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import type { BurstResult } from "./burst.js";
import type { BenchReport } from "./report.js";

const W = 720;
const H = 360;
const M = { l: 60, r: 20, t: 36, b: 44 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c"];

interface Series {
  name: string;
  points: [number, number][];
  color: string;
  dashed?: boolean;
}

function chart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1, ...xs);
  const yMax = Math.max(1, ...ys);
  const x = (v: number) => M.l + (v / xMax) * (W - M.l - M.r);
  const y = (v: number) => H - M.b - (v / yMax) * (H - M.t - M.b);
  const ticks = (max: number) => Array.from({ length: 6 }, (_, i) => (max * i) / 5);
  const grid = [
    ...ticks(xMax).map((v) => `<line x1="${x(v)}" y1="${M.t}" x2="${x(v)}" y2="${H - M.b}" stroke="#eee"/><text x="${x(v)}" y="${H - M.b + 16}" text-anchor="middle">${Math.round(v)}</text>`),
    ...ticks(yMax).map((v) => `<line x1="${M.l}" y1="${y(v)}" x2="${W - M.r}" y2="${y(v)}" stroke="#eee"/><text x="${M.l - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v * 100) / 100}</text>`),
  ].join("");
  const lines = series
    .map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" ${s.dashed ? 'stroke-dasharray="6 4"' : ""} points="${s.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ")}"/>`)
    .join("");
  const legend = series.map((s, i) => `<rect x="${M.l + 10}" y="${M.t + 8 + i * 18}" width="14" height="3" fill="${s.color}"/><text x="${M.l + 30}" y="${M.t + 13 + i * 18}">${s.name}</text>`).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>${grid}
<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="#333"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="#333"/>
<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${xLabel}</text><text transform="translate(14 ${H / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>${lines}${legend}</svg>`;
}

/** Step curve: after the i-th value (sorted), i+1 jobs. */
function cumulative(values: number[]): [number, number][] {
  return values.flatMap((v, i) => [[v, i] as [number, number], [v, i + 1] as [number, number]]);
}

/** The floor's own staircase for GitHub's sliding minute: 180 more each minute. */
function floorCurve(b: BurstResult, perMinute: number): [number, number][] {
  const pts: [number, number][] = [[0, 0]];
  for (let t = 0, n = 0; n < b.jobs; t += 60) {
    const next = Math.min(b.jobs, n + perMinute);
    pts.push([t, n], [t, next]);
    n = next;
  }
  return pts;
}

export async function drawPlots(r: BenchReport, dir: string): Promise<string[]> {
  // The plots are the bursts': nothing to draw when `--only` left them out.
  if (!r.burst) return [];
  const bursts: [string, BurstResult][] = [["matrix256", r.burst.matrix256], ["burst1000", r.burst.burst1000]];
  const dispatch = chart(
    "Bursts: jobs with an accepted RunTask / StartBuild over time",
    "simulated seconds since the jobs were queued",
    "jobs launched",
    bursts.flatMap(([name, b], i) => [
      { name: `${name} (tornade)`, points: cumulative(b.dispatch), color: COLORS[i]! },
      { name: `${name} floor (180 JIT/min)`, points: floorCurve(b, 180), color: COLORS[i]!, dashed: true },
    ]),
  );
  const queue = chart(
    "Bursts: queue time (queued → started on its runner)",
    "simulated seconds",
    "share of jobs started",
    bursts.map(([name, b], i) => ({ name, points: cumulative(b.queueSeconds).map(([t, n]) => [t, n / Math.max(1, b.queueSeconds.length)] as [number, number]), color: COLORS[i]! })),
  );
  mkdirSync(dir, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "tornade-bench-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    viewport: { width: W, height: H },
  });
  const out: string[] = [];
  try {
    const page = await browser.newPage();
    for (const [name, svg] of [["perf-dispatch.png", dispatch], ["perf-queue-time.png", queue]] as const) {
      await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
      const file = resolve(dir, name);
      await page.locator("svg").screenshot({ path: file });
      out.push(file);
    }
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return out;
}
