import { describe, expect, it } from "vitest";
import { scaleSetSetupOf } from "../controller/scale-set-setup.js";
import { MINIMAL_SERVE_ENV, configProblems } from "../../test/support/config-env.js";
import { ConfigError, intakesOf, loadConfig, policyOf } from "./index.js";

/** A runnable environment with Fargate on x86_64 only, and the scale sets' scope. */
const prod: NodeJS.ProcessEnv = { ...MINIMAL_SERVE_ENV, TORNADE_CODEBUILD_PROJECT_X86_64: "runner", TORNADE_SCALE_SETS_OWNER: "acme", TORNADE_SCALE_SETS_REPO: "app" };

const setupOf = (env: NodeJS.ProcessEnv) => {
  const config = loadConfig(env);
  return scaleSetSetupOf(config, policyOf(config));
};

const problems = (run: () => unknown) => configProblems(run, (e): e is ConfigError => e instanceof ConfigError);

describe("scale sets and the intake (docs/scale-sets.md)", () => {
  it("take webhooks only by default", () => {
    const config = loadConfig(MINIMAL_SERVE_ENV);
    expect(intakesOf(config)).toEqual({ webhooks: true, scaleSets: false });
    expect(scaleSetSetupOf(config, policyOf(config))).toBeUndefined();
  });

  it("read TORNADE_SCALE_SETS into one target each, its shape resolved by the label grammar, and listen beside webhooks", () => {
    const config = loadConfig({ ...prod, TORNADE_SCALE_SETS: "linux-x64=FARGATE_SPOT/X86_64:1-20, big=fargate/x86_64/large, cb=CODEBUILD" });
    expect(intakesOf(config)).toEqual({ webhooks: true, scaleSets: true });
    const setup = scaleSetSetupOf(config, policyOf(config));
    expect(setup?.targets.map((t) => [t.name, t.spec.backend, t.spec.arch, t.minRunners, t.maxRunners])).toEqual([
      ["linux-x64", "FARGATE_SPOT", "X86_64", 1, 20],
      ["big", "FARGATE", "X86_64", 0, 10],
      ["cb", "CODEBUILD", "X86_64", 0, 10],
    ]);
    // size=large as a job would say it: Fargate's preset of 8 vCPU (core/fargate-sizes.ts).
    expect(setup?.targets[1]?.spec).toMatchObject({ cpu: 8, image: "default" });
    expect(setup?.scope).toEqual({ scope: "repo", owner: "acme", repo: "app", installationId: 0 });
    expect(setup?.runnerGroup).toBe("default");
  });

  it("with intake scale-sets need no webhook secret: nothing comes in", () => {
    const { TORNADE_WEBHOOK_SECRET: _, ...env } = prod;
    const config = loadConfig({ ...env, TORNADE_INTAKE: "scale-sets", TORNADE_SCALE_SETS: "s=FARGATE" });
    expect(intakesOf(config)).toEqual({ webhooks: false, scaleSets: true });
    expect(problems(() => loadConfig(env))).toEqual([expect.stringMatching(/^github.webhookSecret: missing.*or TORNADE_INTAKE=scale-sets to take no webhooks/)]);
  });

  it("report every problem at once, naming the entry and the fix", () => {
    const found = problems(() =>
      loadConfig({
        ...MINIMAL_SERVE_ENV,
        APP_ID: "1",
        SECRET_KEY_PEM: undefined as unknown as string,
        TORNADE_SCALE_SETS: "a=FARGATE:3-2, A=CODEBUILD/ARM64, bad name=FARGATE, c=FARGATE:900-1000",
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/TORNADE_SCALE_SETS.*"bad name=FARGATE" is not NAME=BACKEND\[\/ARCH\[\/SIZE\[\/IMAGE\]\]\]\[:MIN-MAX\]/),
      ]),
    );
    const entries = problems(() => loadConfig({ ...MINIMAL_SERVE_ENV, APP_ID: "1", TORNADE_SCALE_SETS: "a=FARGATE:3-2, A=CODEBUILD/ARM64, c=FARGATE:900-1000" }));
    expect(entries).toHaveLength(8);
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^scaleSets.owner: missing.*Fix: set TORNADE_SCALE_SETS_OWNER/),
        expect.stringMatching(/^scaleSets.repo: missing.*Fix: set TORNADE_SCALE_SETS_REPO/),
        expect.stringMatching(/^scaleSets.installationId: missing.*Fix: set TORNADE_SCALE_SETS_INSTALLATION_ID/),
        expect.stringMatching(/scaleSets.sets.0.*minRunners ≤ maxRunners/),
        expect.stringMatching(/scaleSets.sets.1.*the name A is taken by scaleSets.sets.0/),
        expect.stringMatching(/scaleSets.sets.1.*CODEBUILD ARM64, which is not configured/),
        expect.stringMatching(/minRunners add up to 903, more than limits.maxRunners/),
      ]),
    );
  });

  it("refuse an intake with nothing to listen to, and scale sets nobody listens to", () => {
    expect(problems(() => loadConfig({ ...prod, TORNADE_INTAKE: "both" }))).toEqual([expect.stringMatching(/^TORNADE_INTAKE \(intake\): both listens to runner scale sets, but none is configured/)]);
    expect(problems(() => loadConfig({ ...prod, TORNADE_INTAKE: "webhooks", TORNADE_SCALE_SETS: "s=FARGATE" }))).toEqual([
      expect.stringMatching(/scaleSets.sets.*intake is "webhooks": they would never be listened to/),
    ]);
  });

  it("refuse a shape this tornade cannot launch, naming the scale set", () => {
    expect(problems(() => setupOf({ ...prod, TORNADE_SCALE_SETS: "s=FARGATE/X86_64/small/nope" }))).toEqual([expect.stringMatching(/^scaleSets.sets.0 \(s: .*image=nope.*Fix: name a backend/)]);
  });
});
