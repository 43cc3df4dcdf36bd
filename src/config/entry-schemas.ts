/**
 * The configuration's lists and what their entries are made of (schema.ts puts them in place): the enum values, a
 * static pool, a standby shape, a runner scale set, CodeBuild's fleet names, schedule windows — each with the
 * comma-separated shorthand one environment variable writes it in (env.ts), read into the entries the file would hold.
 */
import { z } from "zod";
import { ARCHS, BACKENDS, SIZES } from "../core/types.js";
import { parseWindow } from "../core/pool.js";

/** Enum values are case-insensitive, like labels: `fargate_spot` reads as FARGATE_SPOT. */
function upperEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess((v) => (typeof v === "string" ? v.trim().toUpperCase() : v), z.enum(values));
}

export const BackendSchema = upperEnum(BACKENDS);
export const ArchSchema = upperEnum(ARCHS);
export const SizeSchema = z.preprocess((v) => (typeof v === "string" ? v.trim().toLowerCase() : v), z.enum(SIZES));

/** Schedule windows, "Mon-Fri 08:00-20:00" (core/pool.ts parseWindow); one string may hold several separated by ";". */
export const scheduleWindows = z.preprocess(
  (v) => (typeof v === "string" ? v.split(";").map((w) => w.trim()).filter((w) => w !== "") : v),
  z.array(
    z.string().superRefine((w, ctx) => {
      try {
        parseWindow(w);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
      }
    }),
  ),
);

export const PoolEntrySchema = z.strictObject({
  backend: BackendSchema,
  /** Default: defaultArch. */
  arch: ArchSchema.optional(),
  /** Idle runners kept while the schedule is on. */
  size: z.number().int().min(0).max(100),
  /** Overrides pool.schedule for this pool; [] = always. */
  schedule: scheduleWindows.optional(),
});

type Issues = { addIssue(issue: { code: "custom"; message: string; input: unknown; path: number[] }): void };

/**
 * The environment's comma-separated form of a list of entries (pool.runners, standby.shapes): each item must match
 * `pattern`, and `entry` turns its match into the entry the file would hold.
 */
function shorthandList(pattern: RegExp, syntax: string, entry: (m: RegExpExecArray) => unknown, standIn: unknown) {
  return (v: unknown, ctx: Issues): unknown => {
    if (typeof v !== "string") return v;
    const items = v
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
    return items.map((item, i) => {
      const m = pattern.exec(item);
      if (m) return entry(m);
      ctx.addIssue({ code: "custom", message: `"${item}" is not ${syntax}`, input: item, path: [i] });
      return standIn; // a stand-in, so the one issue above is the one reported
    });
  };
}

/**
 * aws.codebuild.fleets from the environment: "big=arn:aws:codebuild:…:fleet/big:…,small=…" (NAME=FLEET_ARN, the
 * name a job's `fleet=` label gives).
 */
export function fleetShorthand(v: unknown, ctx: Issues): unknown {
  if (typeof v !== "string") return v;
  const out: Record<string, string> = {};
  const items = v.split(",").map((x) => x.trim()).filter((x) => x !== "");
  items.forEach((item, i) => {
    const at = item.indexOf("=");
    if (at > 0 && at < item.length - 1) out[item.slice(0, at).trim()] = item.slice(at + 1).trim();
    else ctx.addIssue({ code: "custom", message: `"${item}" is not NAME=FLEET_ARN`, input: item, path: [i] });
  });
  return out;
}

/** Fleet names as `fleet=` carries them: a label value (no "=" or ","), as CodeBuild names fleets (2–128 characters). */
export const FleetNames = z.record(z.string(), z.string().min(1)).superRefine((fleets, ctx) => {
  for (const name of Object.keys(fleets)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{1,127}$/.test(name)) ctx.addIssue({ code: "custom", message: `"${name}": a fleet name is 2–128 letters, digits, - and _`, path: [name] });
  }
});

/** pool.runners from the environment: "FARGATE/X86_64=2,CODEBUILD/ARM64=1" (arch optional). */
export const poolShorthand = shorthandList(
  /^([^/=\s]+)(?:\/([^=\s]+))?\s*=\s*(\d+)$/,
  "BACKEND/ARCH=SIZE",
  (m) => ({ backend: m[1], ...(m[2] ? { arch: m[2] } : {}), size: Number(m[3]) }),
  { backend: "FARGATE", size: 0 },
);

export const StandbyEntrySchema = z.strictObject({
  backend: BackendSchema,
  /** Default: defaultArch. */
  arch: ArchSchema.optional(),
  /** A size preset; default: the configured default size. */
  size: SizeSchema.optional(),
  /** A runner image of the catalog; default: the default image. */
  image: z.string().trim().min(1).optional(),
  /**
   * Standbys kept while the schedule is on; "adaptive": sized each round from the shape's recent arrivals and boot
   * time (core/standby-sizing.ts), within `adaptive` (or the section's).
   */
  count: z.union([z.number().int().min(0).max(100), z.literal("adaptive")]),
  /** An adaptive shape's bounds; absent: standby.adaptive's. */
  adaptive: z.strictObject({ max: z.number().int().min(0).max(100).optional(), maxCostPerHour: z.number().positive().optional() }).optional(),
  /** Overrides standby.schedule for this shape; [] = always. */
  schedule: scheduleWindows.optional(),
});

/** standby.shapes from the environment: "FARGATE_SPOT/X86_64=3,FARGATE/ARM64/large/big=1". */
export const standbyShorthand = shorthandList(
  /^([^/=\s]+)(?:\/([^/=\s]+))?(?:\/([^/=\s]+))?(?:\/([^/=\s]+))?\s*=\s*(\d+|adaptive)$/i,
  "BACKEND[/ARCH[/SIZE[/IMAGE]]]=COUNT (or =adaptive)",
  (m) => ({
    backend: m[1],
    ...(m[2] ? { arch: m[2] } : {}),
    ...(m[3] ? { size: m[3] } : {}),
    ...(m[4] ? { image: m[4] } : {}),
    count: /^adaptive$/i.test(m[5]!) ? "adaptive" : Number(m[5]),
  }),
  { backend: "FARGATE", count: 0 },
);

/**
 * One runner scale set (docs/scale-sets.md): its name (what a job's `runs-on` names), extra labels, the runner it gets
 * (backend, arch, size, image: resolved through the label grammar as a standby shape is) and its runner bounds.
 */
export const ScaleSetEntrySchema = z.strictObject({
  name: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "must be 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit"),
  /** Labels a job's `runs-on` may name besides the scale set's name. */
  labels: z.array(z.string().trim().min(1)).default([]),
  backend: BackendSchema,
  /** Default: defaultArch. */
  arch: ArchSchema.optional(),
  size: SizeSchema.optional(),
  image: z.string().trim().min(1).optional(),
  /** Runners kept idle besides those the assigned jobs need (GitHub's listener: min + assigned, capped at max). */
  minRunners: z.number().int().min(0).max(1000).default(0),
  /** The most runners the scale set has at once; told to GitHub on every poll (X-ScaleSetMaxCapacity). */
  maxRunners: z.number().int().min(1).max(10_000).default(10),
});

/** scaleSets.sets from the environment: "linux-x64=FARGATE_SPOT/X86_64:0-20,arm=FARGATE/ARM64/large/big". */
export const scaleSetShorthand = shorthandList(
  /^([^=\s]+)\s*=\s*([^/:\s]+)(?:\/([^/:\s]+))?(?:\/([^/:\s]+))?(?:\/([^/:\s]+))?(?::(\d+)-(\d+))?$/,
  "NAME=BACKEND[/ARCH[/SIZE[/IMAGE]]][:MIN-MAX]",
  (m) => ({
    name: m[1],
    backend: m[2],
    ...(m[3] ? { arch: m[3] } : {}),
    ...(m[4] ? { size: m[4] } : {}),
    ...(m[5] ? { image: m[5] } : {}),
    ...(m[6] !== undefined ? { minRunners: Number(m[6]), maxRunners: Number(m[7]) } : {}),
  }),
  { name: "x", backend: "FARGATE" },
);
