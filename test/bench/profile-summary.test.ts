/** bench/profile-summary.ts: self time per function and module from a V8 CPU profile, inside a time window. */
import { describe, expect, it } from "vitest";
import { moduleOf, summarise, type CpuProfile } from "../../bench/profile-summary.js";

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });

// root → a (src/store) → b (node_modules/pino); samples every 1,000 µs from t = 10,000 µs.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)", ""), children: [2] },
    { id: 2, callFrame: frame("versionedUpdate", "file:///w/src/store/sqlite-store.ts"), children: [3] },
    { id: 3, callFrame: frame("write", "file:///w/node_modules/pino/lib/proto.js") },
  ],
  startTime: 10_000,
  endTime: 16_000,
  samples: [2, 2, 3, 3, 3, 2],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000],
};

describe("profile summary", () => {
  it("names modules by package or source folder", () => {
    expect(moduleOf("file:///w/node_modules/@aws-sdk/client-ecs/dist-cjs/index.js")).toBe("@aws-sdk/client-ecs");
    expect(moduleOf("file:///w/node_modules/pino/lib/proto.js")).toBe("pino");
    expect(moduleOf("file:///w/src/controller/tracker.ts")).toBe("src/controller");
    expect(moduleOf("node:internal/fs/utils")).toBe("node:internal");
  });

  it("weighs each sample by the gap to the next and ranks self time", () => {
    const s = summarise(profile);
    expect(s.sampledMs).toBe(5);
    expect(s.byModule).toEqual([
      { name: "pino", ms: 3, share: 60 },
      { name: "src/store", ms: 2, share: 40 },
    ]);
    expect(s.byFunction[0]?.name).toMatch(/^write node_modules\/pino/);
  });

  it("counts only samples inside the window", () => {
    // Samples at 10,000 … 15,000 µs; [12,000, 14,000) holds the third and fourth: both pino.
    const s = summarise(profile, { fromUs: 12_000, toUs: 14_000 });
    expect(s.byModule).toEqual([{ name: "pino", ms: 2, share: 100 }]);
  });
});
