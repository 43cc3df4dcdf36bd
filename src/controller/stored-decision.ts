/**
 * The job decision as the store keeps it (opaque JSON) and as core/reconcile reads it (a typed union). The store
 * gives back whatever was written; this is the one place that checks it before the controller trusts it.
 */
import type { JobDecision } from "../core/reconcile.js";
import type { LaunchSpec } from "../core/types.js";
import { ARCHS, BACKENDS } from "../core/types.js";
import type { JobDecision as StoredDecision } from "../store/store.js";

export function toStored(d: JobDecision): StoredDecision {
  return { ...d };
}

export function fromStored(d: StoredDecision | null): JobDecision | null {
  if (!d) return null;
  const reason = typeof d.reason === "string" ? d.reason : "";
  const headSha = typeof d["headSha"] === "string" ? { headSha: d["headSha"] } : {};
  const r = d["reported"];
  const reported: { reported?: "check-run" | "not-permitted" } = r === "check-run" || r === "not-permitted" ? { reported: r } : {};
  switch (d.kind) {
    case "launch": {
      const spec = specOf(d["spec"]);
      const rerun = d["rerun"] === "requested" ? { rerun: "requested" as const } : {};
      return spec ? { kind: "launch", spec, ...headSha, ...rerun } : { kind: "rejected", reason: "stored launch decision has no valid spec" };
    }
    case "failed": {
      const spec = specOf(d["spec"]);
      return spec ? { kind: "failed", reason, spec, ...headSha, ...reported } : { kind: "rejected", reason, ...headSha, ...reported };
    }
    case "rejected": {
      const list = d["problems"];
      const problems = Array.isArray(list) && list.every((p): p is string => typeof p === "string") ? { problems: list } : {};
      return { kind: "rejected", reason, ...problems, ...headSha, ...reported };
    }
    case "static":
    case "ignored":
      return { kind: d.kind, reason };
    default:
      return null;
  }
}

function specOf(v: unknown): LaunchSpec | null {
  if (typeof v !== "object" || v === null) return null;
  const s = v as Record<string, unknown>;
  const backend = BACKENDS.find((b) => b === s["backend"]);
  const arch = ARCHS.find((a) => a === s["arch"]);
  const labels = s["runnerLabels"];
  if (!backend || !arch || typeof s["image"] !== "string" || !Array.isArray(labels)) return null;
  if (!labels.every((l): l is string => typeof l === "string")) return null;
  return { ...(s as unknown as LaunchSpec), backend, arch, runnerLabels: labels };
}
