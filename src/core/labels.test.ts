import { describe, expect, it } from "vitest";
import { LabelError, interpretLabels, type LabelPolicy, type LabelVerdict } from "./labels.js";

const policy: LabelPolicy = { launchLabel: "tornade", defaultBackend: "FARGATE", images: ["default", "gpu"] };
const base = ["self-hosted", "tornade", "123"];

function spec(v: LabelVerdict) {
  if (v.kind !== "launch") throw new Error(`expected launch, got ${JSON.stringify(v)}`);
  return v.spec;
}
function err(v: LabelVerdict): LabelError {
  if (v.kind !== "error") throw new Error(`expected error, got ${JSON.stringify(v)}`);
  return v.error;
}

describe("interpretLabels: the seed's five jobs", () => {
  it.each([
    [["runs-on=FARGATE", "arch=X86_64"], "FARGATE", "X86_64"],
    [["runs-on=FARGATE", "arch=ARM64"], "FARGATE", "ARM64"],
    [["runs-on=FARGATE_SPOT"], "FARGATE_SPOT", "X86_64"],
    [["runs-on=CODEBUILD", "arch=X86_64"], "CODEBUILD", "X86_64"],
    [["runs-on=CODEBUILD", "arch=ARM64"], "CODEBUILD", "ARM64"],
  ] as const)("%j → %s %s", (extra, backend, arch) => {
    const labels = [...base, ...extra];
    const s = spec(interpretLabels(labels, policy));
    expect(s).toMatchObject({ backend, arch, image: "default" });
    expect(s.runnerLabels).toEqual(labels);
  });
});

describe("interpretLabels: launch cases", () => {
  const cases: Array<[string, string[], Record<string, unknown>, LabelPolicy?]> = [
    ["defaults", [], { backend: "FARGATE", arch: "X86_64", cpu: undefined, memory: undefined, disk: undefined }],
    ["config default backend", [], { backend: "FARGATE_SPOT" }, { ...policy, defaultBackend: "FARGATE_SPOT" }],
    ["config default arch", [], { arch: "ARM64" }, { ...policy, defaultArch: "ARM64" }],
    ["case-insensitive keys and values", ["RUNS-ON=fargate_spot", "Arch=Arm64"], { backend: "FARGATE_SPOT", arch: "ARM64" }],
    ["alias x64", ["arch=x64"], { arch: "X86_64" }],
    ["alias amd64", ["arch=amd64"], { arch: "X86_64" }],
    ["alias aarch64", ["arch=aarch64"], { arch: "ARM64" }],
    ["Fargate Spot on ARM64 is allowed (AWS, since 2024)", ["runs-on=FARGATE_SPOT", "arch=ARM64"], { backend: "FARGATE_SPOT", arch: "ARM64" }],
    ["cpu and memory", ["cpu=2", "memory=8192"], { cpu: 2, memory: 8192 }],
    ["memory in GB", ["cpu=1", "memory=4GB"], { cpu: 1, memory: 4096 }],
    ["memory in lower-case gb", ["cpu=1", "memory=4gb"], { memory: 4096 }],
    ["memory 0.5GB", ["cpu=0.25", "memory=0.5GB"], { cpu: 0.25, memory: 512 }],
    ["cpu alone → smallest memory", ["cpu=4"], { cpu: 4, memory: 8192 }],
    ["cpu .25 alone", ["cpu=.25"], { cpu: 0.25, memory: 512 }],
    ["memory alone → smallest cpu", ["memory=16GB"], { cpu: 2, memory: 16384 }],
    ["memory alone 3GB → 0.5 vCPU", ["memory=3GB"], { cpu: 0.5, memory: 3072 }],
    ["memory alone 120GB → 16 vCPU", ["memory=120GB"], { cpu: 16, memory: 122880 }],
    ["8 vCPU, 4 GB steps", ["cpu=8", "memory=20GB"], { cpu: 8, memory: 20480 }],
    ["disk", ["disk=50"], { disk: 50 }],
    ["disk bounds 21 and 200", ["disk=21GB"], { disk: 21 }],
    ["disk 200", ["disk=200"], { disk: 200 }],
    ["size on Fargate is a preset", ["size=large"], { size: "large", cpu: 8, memory: 16384 }],
    ["size on CodeBuild", ["runs-on=CODEBUILD", "size=2XLARGE"], { backend: "CODEBUILD", size: "2xlarge", cpu: undefined }],
    ["image from catalog, case-insensitive", ["image=GPU"], { image: "gpu" }],
    ["same value twice is fine", ["arch=arm64", "arch=aarch64"], { arch: "ARM64" }],
    ["same memory spelled twice", ["memory=4GB", "memory=4096"], { memory: 4096 }],
    ["config default cpu/memory", [], { cpu: 1, memory: 2048 }, { ...policy, defaults: { cpu: 1, memory: 2048 } }],
    ["config default size on Fargate", [], { size: "small", cpu: 2, memory: 4096 }, { ...policy, defaults: { size: "small" } }],
    ["config default size on CodeBuild", ["runs-on=codebuild"], { size: "medium" }, { ...policy, defaults: { size: "medium" } }],
    ["config default disk", [], { disk: 30 }, { ...policy, defaults: { disk: 30 } }],
    ["label beats config default", ["cpu=0.5"], { cpu: 0.5, memory: 1024 }, { ...policy, defaults: { cpu: 1, memory: 2048 } }],
    ["custom launch label, any case", ["self-hosted", "MyLabel"], { backend: "FARGATE" }, { ...policy, launchLabel: "mylabel" }],
    ["custom Fargate preset", ["size=small"], { cpu: 0.25, memory: 512 }, {
      ...policy,
      fargateSizes: { small: { cpu: 0.25, memory: 512 }, medium: { cpu: 1, memory: 2048 }, large: { cpu: 2, memory: 4096 }, xlarge: { cpu: 4, memory: 8192 }, "2xlarge": { cpu: 8, memory: 16384 } },
    }],
  ];
  it.each(cases)("%s", (_name, extra, expected, p) => {
    const labels = [...base, ...extra];
    const s = spec(interpretLabels(labels, p ?? policy));
    for (const [k, v] of Object.entries(expected)) expect((s as unknown as Record<string, unknown>)[k], k).toEqual(v);
    expect(s.runnerLabels).toEqual(labels);
  });
});

describe("interpretLabels: not tornade's, static", () => {
  it("lacks self-hosted", () => {
    const v = interpretLabels(["tornade", "runs-on=FARGATE"], policy);
    expect(v).toEqual({ kind: "not-tornade", reason: expect.stringContaining('"self-hosted"') });
  });
  it("lacks the launch label, names it", () => {
    const v = interpretLabels(["self-hosted", "linux"], { ...policy, launchLabel: "fast" });
    expect(v.kind).toBe("not-tornade");
    expect(v.kind === "not-tornade" && v.reason).toContain('the launch label "fast"');
    expect(v.kind === "not-tornade" && v.reason).not.toContain("self-hosted");
  });
  it("a GitHub-hosted job", () => {
    expect(interpretLabels(["ubuntu-latest"], policy).kind).toBe("not-tornade");
  });
  it("not-tornade wins over bad labels (they are someone else's)", () => {
    expect(interpretLabels(["self-hosted", "arch=RISCV"], policy).kind).toBe("not-tornade");
  });
  it("type=static", () => {
    expect(interpretLabels([...base, "type=static"], policy).kind).toBe("static");
    expect(interpretLabels([...base, "TYPE=Static"], policy).kind).toBe("static");
  });
  it("type=static wins over otherwise invalid labels", () => {
    expect(interpretLabels([...base, "type=static", "arch=RISCV", "colour=red", "runs-on=CODEBUILD", "cpu=2"], policy).kind).toBe("static");
  });
  it("static still needs self-hosted and the launch label", () => {
    expect(interpretLabels(["self-hosted", "type=static"], policy).kind).toBe("not-tornade");
  });
});

describe("interpretLabels: errors name the label and what is allowed", () => {
  const cases: Array<[string, string[], string, RegExp, LabelPolicy?]> = [
    ["bad arch", ["arch=RISCV"], "arch=RISCV", /X86_64 or ARM64 \(aliases: x64, amd64, arm64, aarch64\)/],
    ["bad backend", ["runs-on=LAMBDA"], "runs-on=LAMBDA", /FARGATE, FARGATE_SPOT, CODEBUILD/],
    ["bad type", ["type=dynamic"], "type=dynamic", /type must be static/],
    ["conflicting types", ["type=static", "type=x"], "type=x", /conflicts with "type=static"/],
    ["unknown key", ["colour=red"], "colour=red", /known keys are runs-on, arch, type, cpu, memory, disk, size, image/],
    ["empty key", ["=x"], "=x", /unknown key ""/],
    ["conflicting arch", ["arch=x64", "arch=arm64"], "arch=arm64", /conflicts with "arch=x64"/],
    ["conflicting backend", ["runs-on=FARGATE", "runs-on=CODEBUILD"], "runs-on=CODEBUILD", /give runs-on= once/],
    ["cpu not a Fargate value", ["cpu=3"], "cpu=3", /0.25, 0.5, 1, 2, 4, 8, 16/],
    ["cpu in units is not vCPU", ["cpu=1024"], "cpu=1024", /vCPU value/],
    ["cpu not a number", ["cpu=two"], "cpu=two", /vCPU value/],
    ["impossible combination (issue's example)", ["cpu=4", "memory=1024"], "memory=1024", /with cpu=4 memory must be 8192–30720 MiB in 1024 MiB steps/],
    ["0.25 vCPU with 3GB", ["cpu=0.25", "memory=3GB"], "memory=3GB", /512, 1024, 2048 MiB/],
    ["8 vCPU off the 4 GB step", ["cpu=8", "memory=18GB"], "memory=18GB", /16384–61440 MiB in 4096 MiB steps/],
    ["memory no size has", ["memory=1000"], "memory=1000", /no Fargate task size has 1000 MiB/],
    ["memory beyond 120GB", ["memory=128GB"], "memory=128GB", /no Fargate task size/],
    ["memory with MB suffix (ambiguous)", ["memory=4MB"], "memory=4MB", /whole MiB .* or GB/],
    ["memory fraction of a MiB", ["memory=0.3GB"], "memory=0.3GB", /whole MiB/],
    ["disk too small", ["disk=20"], "disk=20", /21 to 200/],
    ["disk too big", ["disk=201"], "disk=201", /21 to 200/],
    ["disk not a number", ["disk=big"], "disk=big", /21 to 200/],
    ["size unknown", ["size=huge"], "size=huge", /small, medium, large, xlarge, 2xlarge/],
    ["size with cpu", ["size=small", "cpu=2"], "cpu=2", /either size= or cpu=\/memory=/],
    ["size with memory", ["memory=4GB", "size=small"], "memory=4GB", /cannot be combined with "size=small"/],
    ["cpu on CodeBuild", ["runs-on=CODEBUILD", "cpu=2"], "cpu=2", /Fargate only; on CODEBUILD choose a compute type with size=/],
    ["memory on CodeBuild", ["runs-on=CODEBUILD", "memory=4GB"], "memory=4GB", /memory= applies to Fargate only/],
    ["disk on CodeBuild", ["runs-on=CODEBUILD", "disk=50"], "disk=50", /disk= applies to Fargate only/],
    ["image not in catalog", ["image=windows"], "image=windows", /configured runner image: default, gpu/],
    ["backend/arch not configured", ["runs-on=CODEBUILD", "arch=ARM64"], "runs-on=CODEBUILD", /CODEBUILD on ARM64 is not configured.*FARGATE\/X86_64/, {
      ...policy,
      available: { FARGATE: ["X86_64", "ARM64"], FARGATE_SPOT: ["X86_64"], CODEBUILD: ["X86_64"] },
    }],
    ["default backend, arch not configured names the arch label", ["arch=arm64"], "arch=arm64", /FARGATE on ARM64 is not configured/, {
      ...policy,
      available: { FARGATE: ["X86_64"] },
    }],
  ];
  it.each(cases)("%s", (_name, extra, label, message, p) => {
    const e = err(interpretLabels([...base, ...extra], p ?? policy));
    expect(e).toBeInstanceOf(LabelError);
    expect(e.label).toBe(label);
    expect(e.message).toContain(`label "${label}"`);
    expect(e.message).toMatch(message);
  });
});
