/**
 * What operators see of standbys (issue 14, "seen and priced"; docs/standby.md): per shape, how many are booting,
 * waiting, being recycled and were handed to a job, and the hit rate — jobs served warm among all the jobs of that
 * shape that got a runner. Pure: plain views of launch rows in, counts out; the dashboard, /metrics and `tornade cost`
 * read the store and call these.
 */
import { standbyIdle, type StandbyIdleUsage, type StandbyTimes } from "./cost.js";
import { standbyShapeKey } from "./standby.js";
import { ARCHS, BACKENDS, SIZES, type Arch, type Backend, type LaunchPhase, type LaunchSpec, type Size } from "./types.js";

/** The sizing a shape key names, for pricing a standby's idle time: the inverse of standbyShapeKey. */
export type ShapeSizing = Pick<LaunchSpec, "backend" | "arch" | "cpu" | "memory" | "disk" | "size" | "image">;

/**
 * Reads a shape key (core/standby.ts standbyShapeKey, kept on every standby's row) back into the spec fields it was
 * made of; undefined for a key it does not recognise (a row written by a version whose key differs). The round-trip
 * is tested against standbyShapeKey, so a change of the key's format fails here first.
 */
export function shapeSizing(key: string): ShapeSizing | undefined {
  const [backend, arch, sizing, image] = key.split("/");
  if (!(BACKENDS as readonly string[]).includes(backend ?? "") || !(ARCHS as readonly string[]).includes(arch ?? "")) return undefined;
  if (!sizing || !image?.startsWith("image=")) return undefined;
  const fields = new Map(sizing.split(",").map((kv) => kv.split("=", 2) as [string, string | undefined]));
  const num = (k: string) => {
    const v = fields.get(k);
    return v === undefined || v === "-" ? undefined : Number(v);
  };
  const size = fields.get("size");
  return {
    backend: backend as Backend,
    arch: arch as Arch,
    cpu: num("cpu"),
    memory: num("memory"),
    disk: num("disk"),
    size: size && (SIZES as readonly string[]).includes(size) ? (size as Size) : undefined,
    image: image.slice("image=".length),
  };
}

/** A standby's launch row, as the counts read it. */
export interface StandbyRowView {
  readonly shape: string;
  readonly state: LaunchPhase;
  readonly status: "free" | "claimed" | "retired";
}

/** A job's launch that reached its provider, as the hit rate reads it. */
export interface JobStartView {
  /** standbyShapeKey of the job's launch spec. */
  readonly shape: string;
  /** Served by a standby (the row's handoffFrom). */
  readonly warm: boolean;
}

export interface StandbyShapeCounts {
  readonly shape: string;
  /** Free, launched, not running yet. */
  readonly booting: number;
  /** Free and running: a job of its shape starts on it in seconds. */
  readonly waiting: number;
  /** Retired, its task still stopping. */
  readonly retiring: number;
  /** Standbys a job took (claimed), among the rows read. */
  readonly handedOff: number;
  /** Jobs of this shape whose runner was a standby, and those launched cold. */
  readonly warmJobs: number;
  readonly coldJobs: number;
  /** warmJobs / (warmJobs + coldJobs); null without jobs. */
  readonly hitRate: number | null;
}

const ACTIVE: readonly LaunchPhase[] = ["requested", "launched", "running"];

/** warm / all, null when there is nothing to divide. */
export function hitRate(warm: number, cold: number): number | null {
  return warm + cold > 0 ? warm / (warm + cold) : null;
}

/**
 * Per shape that has standbys or was asked for (`shapes`, the configured ones, first in their order): the standbys by
 * state and the jobs served warm and cold. Jobs of shapes without standbys are left out: their hit rate is 0 by
 * construction and says nothing about the standbys.
 */
export function standbyCounts(standbys: readonly StandbyRowView[], jobStarts: readonly JobStartView[], shapes: readonly string[] = []): StandbyShapeCounts[] {
  const order = [...new Set([...shapes, ...standbys.map((s) => s.shape)])];
  return order.map((shape) => {
    const mine = standbys.filter((s) => s.shape === shape);
    const active = mine.filter((s) => ACTIVE.includes(s.state));
    const starts = jobStarts.filter((j) => j.shape === shape);
    const warmJobs = starts.filter((j) => j.warm).length;
    const coldJobs = starts.length - warmJobs;
    return {
      shape,
      booting: active.filter((s) => s.status === "free" && s.state !== "running").length,
      waiting: active.filter((s) => s.status === "free" && s.state === "running").length,
      retiring: active.filter((s) => s.status === "retired").length,
      handedOff: mine.filter((s) => s.status === "claimed").length,
      warmJobs,
      coldJobs,
      hitRate: hitRate(warmJobs, coldJobs),
    };
  });
}

/**
 * How a job got its runner, from its launch spec and launch rows: its latest launch that reached its provider was
 * handed to a standby (warm) or started its own task or build (cold). Undefined while none reached its provider.
 */
export function jobStartOf(spec: LaunchSpec, launches: readonly LaunchStartView[]): JobStartView | undefined {
  const warm = servedWarm(launches);
  return warm === undefined ? undefined : { shape: standbyShapeKey(spec), warm };
}

/** A launch row as servedWarm reads it. */
export interface LaunchStartView {
  readonly providerId: string | null;
  readonly handoffFrom: string | null;
  readonly attempt: number;
}

/** Whether a job's latest launch that reached its provider was a handoff to a standby; undefined while none did. */
export function servedWarm(launches: readonly LaunchStartView[]): boolean | undefined {
  const reached = launches.filter((l) => l.providerId !== null).sort((a, b) => b.attempt - a.attempt)[0];
  return reached && reached.handoffFrom !== null;
}

/**
 * A standby's idle stretch (core/cost.ts standbyIdle) with the size its shape key names, ready to price
 * (standbyIdleCost); undefined when it never had a task.
 */
export function standbyIdleUsage(
  s: StandbyTimes & { readonly shape: string; readonly backend: Backend; readonly arch: Arch },
  until: number,
): (StandbyIdleUsage & { readonly shape: string }) | undefined {
  const idle = standbyIdle(s, until);
  if (!idle) return undefined;
  const z = shapeSizing(s.shape);
  return { shape: s.shape, backend: s.backend, arch: s.arch, cpu: z?.cpu, memory: z?.memory, disk: z?.disk, size: z?.size, ...idle };
}
