/**
 * Fargate's valid task sizes (AWS docs, "Amazon ECS task definition parameters for Fargate" → "Task size",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size):
 * each CPU value allows a fixed set of memory values; 8 and 16 vCPU need Linux platform version 1.4.0 or later.
 * Ephemeral storage: 21 to 200 GiB (same page, "Fargate task ephemeral storage").
 */
function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** CPU units → allowed memory (MiB). */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

export const EPHEMERAL_MIN_GIB = 21;
export const EPHEMERAL_MAX_GIB = 200;

/** Parses a task cpu value as ECS accepts it: CPU units ("1024") or vCPU ("1 vCPU", "0.25 vcpu"). */
export function parseCpu(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] ? Math.round(n * 1024) : n;
}

/** Parses a task memory value as ECS accepts it: MiB ("2048") or GB ("2 GB", "2GB"). */
export function parseMemory(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] ? Math.round(n * 1024) : n;
}

/** undefined if the pair is a valid Fargate task size, else a message naming the allowed values. */
export function fargateSizeProblem(cpu: number, memory: number): string | undefined {
  const allowed = FARGATE_SIZES.get(cpu);
  if (!allowed) return `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. Valid CPU values: ${[...FARGATE_SIZES.keys()].join(", ")}.`;
  if (!allowed.includes(memory)) {
    return `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`;
  }
  return undefined;
}
