// The dashboard's only script: polls GET /api/state every 2 s and redraws. Every string from outside (job names,
// labels, reasons) reaches the page through textContent or an SVG text node, never through HTML parsing, so a label
// such as <img src=x onerror=...> shows as the text it is. The server also forbids inline scripts (CSP).
"use strict";

const POLL_MS = 2000;
const STATES = ["queued", "launching", "running", "done", "rejected", "failed", "static", "ignored"];
const SVG_NS = "http://www.w3.org/2000/svg";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "style") e.style.cssText = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

const usd = (n) => "$" + n.toFixed(n < 1 ? 4 : 2);
const secs = (n) => (n === null || n === undefined ? "–" : n < 120 ? n.toFixed(0) + " s" : (n / 60).toFixed(1) + " min");
const time = (ms) => new Date(ms).toISOString().slice(11, 19);
const speed = (x) => String(Number(x.toFixed(2)));

// The sandbox and `serve --testbed` run on a compressed clock: every time on the page is simulated, and says so.
function renderClock(v) {
  const badge = document.getElementById("clock");
  badge.hidden = !v.clock.simulated;
  badge.textContent = "simulated clock, " + speed(v.clock.speed) + "× real time";
}

function renderViolations(v) {
  const badge = document.getElementById("violations");
  badge.hidden = v.policyViolations === 0;
  badge.textContent = v.policyViolations + (v.policyViolations === 1 ? " policy violation" : " policy violations") + ", listed under recent failures";
}

function stateBadge(state) {
  return el("span", { class: "state", style: "--c: var(--" + state + ")", "data-state": state }, state);
}

function renderCounts(v) {
  const box = document.getElementById("counts");
  box.replaceChildren(
    ...STATES.map((s) => el("div", { class: "card", style: "--c: var(--" + s + ")", "data-count": s }, el("b", {}, v.counts[s] ?? 0), el("span", {}, s))),
  );
}

function renderBackends(v) {
  const rows = v.backends
    .filter((b) => b.launches > 0)
    .map((b) =>
      el(
        "tr",
        { "data-backend": b.backend + "/" + b.arch },
        el("td", {}, b.backend),
        el("td", {}, b.arch),
        el("td", { class: "num" }, b.launches),
        el("td", { class: "num" }, b.active),
        el("td", { class: "num" }, b.failed),
        el("td", { class: "num" }, b.runnerMinutes.toFixed(1)),
        el("td", { class: "num" }, usd(b.awsUsd)),
        el("td", { class: "num" }, usd(b.githubUsd)),
      ),
    );
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "8", class: "note" }, "no runners launched yet")));
  document.querySelector("#backends tbody").replaceChildren(...rows);
  const saving = v.cost.githubUsd > 0 ? Math.round((1 - v.cost.awsUsd / v.cost.githubUsd) * 100) : null;
  document.getElementById("cost").textContent =
    "So far: " + usd(v.cost.awsUsd) + " on AWS, against " + usd(v.cost.githubUsd) + " on GitHub-hosted runners" +
    (saving === null ? "" : " (" + saving + " % saved)");
  document.getElementById("cost-source").textContent = "Prices: " + v.cost.source + ".";
  document.getElementById("ceilings").textContent = v.ceilings ? "Cost ceilings: " + v.ceilings.text + "." : "";
}

const pct = (r) => (r === null || r === undefined ? "–" : Math.round(r * 100) + " %");

// Standbys per shape: shown once any shape has had one (docs/standby.md, "Seen and priced").
function renderStandbys(v) {
  const s = v.standbys;
  document.getElementById("standbys-panel").hidden = s.shapes.length === 0;
  const rows = s.shapes.map((x) =>
    el(
      "tr",
      { "data-shape": x.shape },
      el("td", { class: "nowrap" }, x.shape),
      el("td", { class: "num", "data-standbys": "booting" }, x.booting),
      el("td", { class: "num", "data-standbys": "waiting" }, x.waiting),
      el("td", { class: "num", "data-standbys": "retiring" }, x.retiring),
      el("td", { class: "num", "data-standbys": "handed-off" }, x.handedOff),
      el("td", { class: "num" }, x.warmJobs + " / " + x.coldJobs),
      el("td", { class: "num", "data-standbys": "hit-rate" }, pct(x.hitRate)),
      el("td", { class: "num" }, x.idleMinutes.toFixed(1)),
      el("td", { class: "num" }, usd(x.idleUsd)),
    ),
  );
  document.querySelector("#standbys tbody").replaceChildren(...rows);
  document.getElementById("standby-summary").textContent =
    "Hit rate " + pct(s.hitRate) + " (" + s.warmJobs + " of " + (s.warmJobs + s.coldJobs) + " jobs served warm). Standby idle time " +
    s.idleMinutes.toFixed(1) + " min, " + usd(s.idleUsd) + " on AWS, next to " + usd(v.cost.awsUsd) + " for the runners.";
}

function renderChart(v) {
  const q = v.queueTime;
  const W = 520, H = 190, left = 34, bottom = 34, top = 14;
  const n = q.runnerOnline.length;
  const max = Math.max(1, ...q.runnerOnline, ...q.jobStarted);
  const slot = (W - left - 8) / n;
  const bar = q.samples.jobStarted > 0 ? slot * 0.4 : slot * 0.75;
  const y = (c) => top + (H - top - bottom) * (1 - c / max);
  const root = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": "queue time histogram" });
  root.append(svg("line", { x1: left, y1: H - bottom, x2: W - 4, y2: H - bottom, stroke: "#aab" }));
  root.append(svg("text", { x: 4, y: top + 4 }, max), svg("text", { x: 4, y: H - bottom }, 0));
  for (let i = 0; i < n; i++) {
    const x = left + i * slot + 2;
    const a = q.runnerOnline[i];
    root.append(svg("rect", { x, y: y(a), width: bar, height: H - bottom - y(a), fill: "#1f6feb" }, undefined));
    if (a > 0) root.append(svg("text", { x: x + bar / 2 - 3, y: y(a) - 2 }, a));
    if (q.samples.jobStarted > 0) {
      const b = q.jobStarted[i];
      root.append(svg("rect", { x: x + bar, y: y(b), width: bar, height: H - bottom - y(b), fill: "#1a7f37" }));
    }
    const label = i < q.bounds.length ? "≤" + q.bounds[i] : ">" + q.bounds[q.bounds.length - 1];
    root.append(svg("text", { x: x, y: H - bottom + 14 }, label));
  }
  root.append(svg("text", { x: left, y: H - 4 }, "seconds"));
  document.getElementById("chart").replaceChildren(root);
  const parts = ["runner online: " + q.samples.runnerOnline + " jobs, median " + secs(q.median.runnerOnline)];
  if (q.samples.jobStarted > 0) parts.push("job started (green): median " + secs(q.median.jobStarted));
  document.getElementById("chart-note").textContent = [parts.join("; "), ...v.notes].join(". ");
}

function renderEvents(v) {
  const items = v.events.map((e) =>
    el("li", { "data-kind": e.kind }, el("span", { class: "kind" }, time(e.at) + " " + e.kind), "job " + e.jobId + " (" + e.jobName + ")" + (e.backend ? " on " + e.backend : "") + ": " + e.message),
  );
  if (items.length === 0) items.push(el("li", { class: "empty" }, "none"));
  document.getElementById("events").replaceChildren(...items);
}

function renderJobs(v) {
  document.getElementById("jobs-count").textContent = "(" + v.jobs.length + " newest)";
  const rows = v.jobs.map((j) =>
    el(
      "tr",
      { "data-job-id": String(j.id), "data-state": j.state },
      el("td", {}, j.id),
      el("td", { class: "name" }, j.name),
      el("td", { class: "nowrap" }, j.repository),
      el("td", {}, stateBadge(j.state)),
      el("td", { class: "backend nowrap" }, j.backend ? j.backend + "/" + j.arch : "–"),
      el("td", { class: "num" }, j.launches),
      el("td", { class: "num" }, secs(j.runnerOnlineSeconds)),
      el("td", { class: "labels" }, ...j.labels.map((l) => el("span", { class: "label" }, l))),
      el("td", { class: "reason" }, j.reason ?? ""),
    ),
  );
  document.querySelector("#jobs tbody").replaceChildren(...rows);
}

async function poll() {
  const status = document.getElementById("status");
  try {
    const res = await fetch("/api/state", { headers: { accept: "application/json" }, cache: "no-store" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    const v = await res.json();
    document.getElementById("mode").hidden = !v.sandbox;
    renderClock(v);
    renderViolations(v);
    renderCounts(v);
    renderBackends(v);
    renderStandbys(v);
    renderChart(v);
    renderEvents(v);
    renderJobs(v);
    status.textContent = "live · " + (v.clock.simulated ? "simulated " : "") + time(v.now) + " UTC · queue " + v.queueDepth.pending + " pending, " + v.queueDepth.inFlight + " in flight" + (v.queueDepth.dead ? ", " + v.queueDepth.dead + " dead" : "");
    status.className = "status";
  } catch (err) {
    status.textContent = "cannot reach tornade (" + err.message + "); retrying";
    status.className = "status stale";
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

poll();
