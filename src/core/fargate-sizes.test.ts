import { describe, expect, it } from "vitest";
import {
  DEFAULT_FARGATE_SIZES,
  FARGATE_CPUS,
  describeMemoryOptions,
  fargateCpuUnits,
  fargateMemoryOptions,
  isValidFargateSize,
  smallestCpuFor,
  smallestMemoryFor,
} from "./fargate-sizes.js";

describe("Fargate task sizes (AWS 'Task CPU and memory')", () => {
  it("has the seven published vCPU values", () => {
    expect(FARGATE_CPUS).toEqual([0.25, 0.5, 1, 2, 4, 8, 16]);
  });
  it.each([
    [0.25, 3, 512, 2048],
    [0.5, 4, 1024, 4096],
    [1, 7, 2048, 8192],
    [2, 13, 4096, 16384],
    [4, 23, 8192, 30720],
    [8, 12, 16384, 61440],
    [16, 12, 32768, 122880],
  ])("%s vCPU: %i options from %i to %i MiB", (cpu, count, first, last) => {
    const opts = fargateMemoryOptions(cpu);
    expect(opts.length).toBe(count);
    expect(opts[0]).toBe(first);
    expect(opts[opts.length - 1]).toBe(last);
  });
  it.each([
    [0.25, 512, true],
    [0.25, 1536, false],
    [4, 1024, false],
    [8, 20480, true],
    [8, 18432, false],
    [16, 40960, true],
    [16, 36864, false],
    [3, 4096, false],
  ])("isValidFargateSize(%s, %i) = %s", (cpu, mem, ok) => {
    expect(isValidFargateSize(cpu, mem)).toBe(ok);
  });
  it("smallest memory for a cpu, smallest cpu for a memory", () => {
    expect(smallestMemoryFor(2)).toBe(4096);
    expect(smallestMemoryFor(3)).toBeUndefined();
    expect(smallestCpuFor(2048)).toBe(0.25);
    expect(smallestCpuFor(5120)).toBe(1);
    expect(smallestCpuFor(61440)).toBe(8);
    expect(smallestCpuFor(65536)).toBe(16);
    expect(smallestCpuFor(1000)).toBeUndefined();
  });
  it("cpu units as RunTask wants them", () => {
    expect(fargateCpuUnits(0.25)).toBe("256");
    expect(fargateCpuUnits(16)).toBe("16384");
  });
  it("describes options for error messages", () => {
    expect(describeMemoryOptions(0.25)).toBe("512, 1024, 2048 MiB");
    expect(describeMemoryOptions(16)).toBe("32768–122880 MiB in 8192 MiB steps");
  });
  it("every preset is a size Fargate runs", () => {
    for (const [name, s] of Object.entries(DEFAULT_FARGATE_SIZES)) expect(isValidFargateSize(s.cpu, s.memory), name).toBe(true);
  });
});
