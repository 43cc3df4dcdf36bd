import { describe, expect, it } from "vitest";
import { LabelError, interpretLabels, type LabelPolicy, type LabelVerdict } from "./labels.js";

const policy: LabelPolicy = { launchLabel: "tornade", defaultBackend: "FARGATE", images: ["default", "gpu"] };
const base = ["self-hosted", "tornade", "123"];

function spec(v: LabelVerdict) {
  if (v.kind !== "launch") throw new Error(`expected launch, got ${JSON.stringify(v)}`);
  return v.spec;
}
function errs(v: LabelVerdict): readonly LabelError[] {
  if (v.kind !== "error") throw new Error(`expected error, got ${JSON.stringify(v)}`);
  return v.errors;
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
  it("type=static names the runner it picks (runs-on= and arch= select among the always-on runners)", () => {
    const v = interpretLabels([...base, "type=static", "runs-on=CODEBUILD", "arch=aarch64"], policy);
    expect(v).toEqual({ kind: "static", reason: '"type=static": served by an always-on runner registered with runs-on=CODEBUILD and arch=aarch64, no runner is launched' });
  });
  it("type=static does not hide bad labels: every one is named", () => {
    const e = errs(interpretLabels([...base, "type=static", "arch=RISCV", "colour=red", "runs-on=CODEBUILD", "cpu=2"], policy));
    expect(e.map((x) => x.label)).toEqual(["colour=red", "arch=RISCV", "cpu=2"]);
  });
  it.each(["cpu=2", "memory=4GB", "disk=50", "size=large", "image=gpu"])("type=static with %s is an error: no always-on runner carries it", (label) => {
    const [e, ...rest] = errs(interpretLabels([...base, "type=static", label], policy));
    expect(rest).toEqual([]);
    expect(e?.message).toMatch(/cannot apply with "type=static": an always-on runner is already running .* Fix: remove it/);
  });
  it("with tornade's pool configured, a static job must name a backend/arch some pool runs", () => {
    const pooled: LabelPolicy = { ...policy, staticPools: [{ backend: "FARGATE", arch: "X86_64" }, { backend: "CODEBUILD", arch: "ARM64" }] };
    expect(interpretLabels([...base, "type=static", "runs-on=CODEBUILD"], pooled).kind).toBe("static");
    expect(interpretLabels([...base, "type=static", "arch=arm64"], pooled).kind).toBe("static");
    const [e] = errs(interpretLabels([...base, "type=static", "runs-on=FARGATE", "arch=ARM64"], pooled));
    expect(e?.message).toMatch(/^label "runs-on=FARGATE": no pool of tornade's always-on runners is FARGATE\/ARM64 \(pools: FARGATE\/X86_64, CODEBUILD\/ARM64\).*TORNADE_POOL/);
    // Without a pool, the operator's own runners serve static jobs: tornade does not know their labels.
    expect(interpretLabels([...base, "type=static", "runs-on=FARGATE", "arch=ARM64"], policy).kind).toBe("static");
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
    const [e, ...more] = errs(interpretLabels([...base, ...extra], p ?? policy));
    expect(more.map((m) => m.message)).toEqual([]);
    expect(e).toBeInstanceOf(LabelError);
    if (!e) return;
    expect(e.label).toBe(label);
    expect(e.message).toContain(`label "${label}"`);
    expect(e.message).toMatch(message);
  });
});

describe("interpretLabels: every problem at once", () => {
  it("names all four bad labels of the issue's example, in the order written", () => {
    const e = errs(interpretLabels([...base, "runs-on=LAMBDA", "arch=sparc", "cpu=3", "disk=500"], policy));
    expect(e.map((x) => x.label)).toEqual(["runs-on=LAMBDA", "arch=sparc", "cpu=3", "disk=500"]);
    expect(e.map((x) => x.message)).toEqual([
      expect.stringMatching(/runs-on must be one of FARGATE, FARGATE_SPOT, CODEBUILD/),
      expect.stringMatching(/arch must be X86_64 or ARM64/),
      expect.stringMatching(/Fargate vCPU value/),
      expect.stringMatching(/21 to 200/),
    ]);
  });
  it("an unknown key, a bad image and Fargate keys on CodeBuild, together", () => {
    const e = errs(interpretLabels([...base, "colour=red", "runs-on=CODEBUILD", "image=windows", "cpu=2", "disk=50"], policy));
    expect(e.map((x) => x.label)).toEqual(["colour=red", "image=windows", "cpu=2", "disk=50"]);
  });
});

describe("interpretLabels: GitHub's limits (core/label-limits.ts)", () => {
  it("more than 100 labels is refused, naming the limit", () => {
    const many = [...base, ...Array.from({ length: 98 }, (_, i) => `l${i}`)];
    expect(many).toHaveLength(101);
    const [e, ...rest] = errs(interpretLabels(many, policy));
    expect(rest).toEqual([]);
    expect(e?.label).toBeNull();
    expect(e?.message).toMatch(/^the job has 101 labels; a runner registers with at most 100 \(GitHub's generate-jitconfig takes 1–100 labels\)/);
    expect(interpretLabels(many.slice(0, 100), policy).kind).toBe("launch");
  });
  it("a label over 200 characters is refused, quoted short", () => {
    const long = "x".repeat(10_000);
    const [e] = errs(interpretLabels([...base, long], policy));
    expect(e?.label).toBe(long);
    expect(e?.message).toMatch(/^label "x{60}…" \(10000 characters\): is 10000 characters long; tornade accepts labels of at most 200 characters/);
    expect(e!.message.length).toBeLessThan(250);
    expect(interpretLabels([...base, "y".repeat(200)], policy).kind).toBe("launch");
  });
  it("a long key=value label is refused once, not also parsed", () => {
    expect(errs(interpretLabels([...base, `cpu=${"9".repeat(300)}`], policy))).toHaveLength(1);
  });
});

describe("interpretLabels: spaces around = are refused", () => {
  it.each(["runs-on = FARGATE", "runs-on= FARGATE", "arch =ARM64", " size=small"])("%j", (label) => {
    const [e, ...rest] = errs(interpretLabels([...base, label], policy));
    expect(rest).toEqual([]);
    expect(e?.message).toMatch(/without spaces around "=" or at its ends: "[a-z-]+=[A-Za-z0-9]+"/);
  });
  it("a space inside a value is the value's business (memory=4 GB reads as 4 GB)", () => {
    expect(interpretLabels([...base, "memory=4 GB"], policy)).toMatchObject({ kind: "launch", spec: { memory: 4096 } });
  });
});

describe("interpretLabels: cost ceilings (core/ceilings.ts)", () => {
  const capped: LabelPolicy = { ...policy, ceilings: { maxCpu: 8, maxMemory: 32768, maxDisk: 100, maxCodeBuildSize: "large" } };
  it.each([
    ["cpu=16", ["cpu=16"], "cpu=16", /asks for 16 vCPU, above this tornade's ceiling of 8 vCPU\. Fix: ask for less, or raise limits\.maxCpu \(env TORNADE_MAX_CPU\)/],
    ["memory=60GB", ["memory=60GB"], "memory=60GB", /61440 MiB of memory, above .* 32768 MiB.*limits\.maxMemory \(env TORNADE_MAX_MEMORY\)/],
    ["memory=64GB implies 16 vCPU", ["memory=64GB"], "memory=64GB", /16 vCPU/],
    ["disk=150", ["disk=150"], "disk=150", /150 GiB of disk, above .* 100 GiB.*limits\.maxDisk \(env TORNADE_MAX_DISK\)/],
    ["a Fargate size preset", ["size=xlarge"], "size=xlarge", /16 vCPU/],
    ["a CodeBuild size", ["runs-on=CODEBUILD", "size=2xlarge"], "size=2xlarge", /the CodeBuild size 2xlarge, above this tornade's ceiling of large .*limits\.maxCodeBuildSize \(env TORNADE_MAX_CODEBUILD_SIZE\)/],
  ] as const)("%s", (_name, extra, label, message) => {
    const e = errs(interpretLabels([...base, ...extra], capped));
    expect(e[0]?.label).toBe(label);
    expect(e.map((x) => x.message).join("\n")).toMatch(message);
  });
  it("at the ceiling is fine", () => {
    expect(interpretLabels([...base, "cpu=8", "memory=32GB", "disk=100"], capped).kind).toBe("launch");
    expect(interpretLabels([...base, "runs-on=CODEBUILD", "size=large"], capped).kind).toBe("launch");
    expect(interpretLabels([...base, "size=large"], capped).kind).toBe("launch");
  });
  it("configured defaults over a ceiling are named as such", () => {
    const [e] = errs(interpretLabels(base, { ...capped, defaults: { cpu: 16, memory: 32768 } }));
    expect(e?.label).toBeNull();
    expect(e?.message).toMatch(/^the configured default size \(the defaults section\) asks for 16 vCPU/);
  });
});

describe("interpretLabels: fleet= (CodeBuild reserved-capacity fleets)", () => {
  const withFleets: LabelPolicy = { ...policy, fleets: ["warm-pool", "big"] };
  const cb = ["self-hosted", "tornade", "runs-on=CODEBUILD"];
  const messages = (v: ReturnType<typeof interpretLabels>) => (v.kind === "error" ? v.errors.map((e) => e.message) : []);

  it.each([
    ["a configured fleet", [...cb, "fleet=warm-pool"], "warm-pool"],
    ["case-insensitively, spelled as configured", [...cb, "FLEET=Big"], "big"],
  ])("launches on %s", (_what, labels, fleet) => {
    const v = interpretLabels(labels, withFleets);
    expect(v.kind === "launch" && v.spec).toMatchObject({ backend: "CODEBUILD", fleet, runnerLabels: labels });
  });

  it.each([
    ["an unknown fleet", withFleets, [...cb, "fleet=nope"], /label "fleet=nope": fleet must name a configured CodeBuild fleet: warm-pool, big/],
    ["any fleet when none is configured", policy, [...cb, "fleet=warm-pool"], /fleet must name a configured CodeBuild fleet: \(none configured: set aws\.codebuild\.fleets, TORNADE_CODEBUILD_FLEETS\)/],
    ["a fleet on Fargate", withFleets, ["self-hosted", "tornade", "runs-on=FARGATE", "fleet=big"], /applies only with runs-on=CODEBUILD, not FARGATE/],
    ["a size beside a fleet", withFleets, [...cb, "size=large", "fleet=big"], /label "size=large": size= cannot apply with "fleet=big"/],
    ["a fleet on a static job", withFleets, ["self-hosted", "tornade", "type=static", "fleet=big"], /fleet= cannot apply with "type=static"/],
  ] as const)("refuses %s, naming the label", (_what, p, labels, message) => {
    expect(messages(interpretLabels(labels, p)).join("\n")).toMatch(message);
  });
});
