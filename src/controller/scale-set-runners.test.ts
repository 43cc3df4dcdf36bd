/**
 * ScaleSetRunnerSource over real HTTP against the test bed's scale set service: a replica whose listener never ensured
 * the scale set (another replica holds its lease, or this one's previous life does until the lease lapses after a
 * crash) still gets JIT configs for its stored jobs — it finds the scale set by name. Found in the chaos run with
 * `--intake scale-set`: after a SIGKILL the restarted tornade's launches failed until their attempts ran out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { GitHubError } from "../github/errors.js";
import { startClientWorld, type ClientWorld } from "../../test/support/scale-set-client.js";
import { ScaleSetRunnerSource } from "./scale-set-runners.js";

const clock = scaledClock(600);
let w: ClientWorld;
const LOOK_UP = "GET /_apis/runtime/runnerscalesets";

beforeAll(async () => (w = await startClientWorld(clock)));
afterAll(() => w.close());

describe("a scale set's runners, from a replica that never ensured the scale set", () => {
  it("find the scale set by name, once for a burst, and register in it", async () => {
    // Another replica (its own client) created the scale set; this one's source was never told its id.
    const { scaleSet } = await w.client().ensureScaleSet({ name: "held-elsewhere", labels: ["held-elsewhere"] });
    const source = new ScaleSetRunnerSource(w.client(), "default");
    const before = w.s.sim.control.stats().requests[LOOK_UP] ?? 0;
    const configs = await Promise.all([1, 2, 3].map((n) => source.jitConfig("Held-Elsewhere", `tornade--${n}-1`)));
    expect(configs.every((c) => c.encodedJitConfig.length > 0)).toBe(true);
    expect((w.s.sim.control.stats().requests[LOOK_UP] ?? 0) - before).toBe(1);
    const runners = w.s.sim.control.listRunners().filter((r) => r.name.startsWith("tornade--"));
    expect(runners.map((r) => r.name).sort()).toEqual(["tornade--1-1", "tornade--2-1", "tornade--3-1"]);
    expect(runners.every((r) => r.labels.some((l) => l.name === "held-elsewhere"))).toBe(true);
    expect(w.s.sim.control.scaleSets.list().find((s) => s.id === scaleSet.id)?.statistics.totalRegisteredRunners).toBe(3);
  });

  it("say a scale set no replica created yet is a transient failure, so the launch retries", async () => {
    const source = new ScaleSetRunnerSource(w.client(), "default");
    const e = await source.jitConfig("not-yet", "tornade--9-1").then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(GitHubError);
    expect(e).toMatchObject({ kind: "transient", message: expect.stringMatching(/scale set not-yet: no scale set of that name exists yet/) });
  });
});
