/**
 * CodeBuild operations (AWS CodeBuild API Reference: StartBuild / BatchGetBuilds / StopBuild / BatchGetProjects; ListBuildsForProject: codebuild-list.ts) and the
 * build lifecycle: phases SUBMITTED → QUEUED → PROVISIONING → DOWNLOAD_SOURCE → INSTALL → PRE_BUILD → BUILD →
 * POST_BUILD → UPLOAD_ARTIFACTS → FINALIZING → COMPLETED (CodeBuild user guide, "Build phase transitions").
 * The container program runs during BUILD; its exit code decides SUCCEEDED / FAILED. POST_BUILD and the phases after
 * it still run when BUILD fails, as CodeBuild does.
 *
 * Environment variables of type PARAMETER_STORE hold a parameter's name; CodeBuild resolves them with the project's
 * service role when DOWNLOAD_SOURCE begins ("Processing environment variables", "Decrypting parameter store environment
 * variables" in the build log) and hands the values to the build's commands. BatchGetBuilds keeps showing the name,
 * never the value. A parameter that does not exist fails DOWNLOAD_SOURCE with the phase context status code
 * "Decrypted Variables Error" and "parameter does not exist: NAME"; a refused read likewise with SSM's or KMS's words
 * (as CodeBuild's logs show them: aws/aws-cdk#11032, cloudposse/terraform-aws-cicd#107), and the build ends FAILED
 * without running BUILD.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../../src/clock/clock.js";
import type { ContainerHandle, ContainerRuntime } from "../runtime.js";
import type { BootModel, BootPlan } from "./boot-model.js";
import { ACCOUNT } from "./ecs-state.js";
import { principalNamed } from "./iam.js";
import { AwsError, epochSeconds } from "./protocol.js";
import type { Ssm } from "./ssm.js";
import { FLEET_HANDOVER_MS, Fleets } from "./codebuild-fleets.js";

type Body = Record<string, unknown>;

export interface ProjectRecord {
  name: string;
  arn: string;
  environmentType: string;
  image: string;
  computeType: string;
  privilegedMode: boolean;
  environmentVariables: { name: string; value: string; type: string }[];
  serviceRole: string;
  timeoutInMinutes: number;
  queuedTimeoutInMinutes: number;
  buildCounter: number;
}

const PHASES = ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"] as const;
type Phase = (typeof PHASES)[number];

interface PhaseRecord {
  phaseType: Phase;
  phaseStatus?: "SUCCEEDED" | "FAILED" | "STOPPED";
  startTime: number;
  endTime?: number;
  contexts?: { statusCode: string; message: string }[];
}

export interface BuildRecord {
  id: string;
  arn: string;
  buildNumber: number;
  project: ProjectRecord;
  environmentType: string;
  image: string;
  computeType: string;
  privilegedMode: boolean;
  env: { name: string; value: string; type: string }[];
  startTime: number;
  endTime?: number;
  status: "IN_PROGRESS" | "SUCCEEDED" | "FAILED" | "STOPPED";
  phases: PhaseRecord[];
  complete: boolean;
  idempotencyToken?: string;
  handle?: ContainerHandle;
  timer?: { cancel(): void };
  exitCode?: number;
  /** The environment the build's commands get: `env` with PARAMETER_STORE values resolved (never shown by the API). */
  resolved?: Record<string, string>;
  /** How long this build's QUEUED and PROVISIONING phases and its runner's start take (boot-model.ts). */
  boot: BootPlan;
  /** StartBuild's `fleetOverride` (codebuild-fleets.ts): the fleet, and whether the build runs on its instance or overflowed to on-demand. */
  fleet?: { readonly arn: string; readonly name: string; readonly onInstance: boolean };
}

/** Short phases around BUILD (source download with NO_SOURCE, install, finalize): one second each. */
const SHORT_PHASE_MS = 1_000;

/** StartBuild idempotencyToken: "valid for 5 minutes" (StartBuild API reference). */
export const IDEMPOTENCY_WINDOW_MS = 5 * 60_000;

/**
 * Compute types each on-demand container environment takes (CodeBuild user guide, "Build environment compute modes
 * and types" → "About on-demand environment types"): x86 Linux general1 small..2xlarge; Arm arm1 small..2xlarge
 * (BUILD_GENERAL1_* names). Lambda compute types need the *_LAMBDA_CONTAINER environments.
 */
const GENERAL = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE"];
export const COMPUTE_TYPES_BY_ENVIRONMENT: Record<string, readonly string[]> = { LINUX_CONTAINER: GENERAL, ARM_CONTAINER: GENERAL };

export interface CodeBuildState {
  region: string;
  projects: Map<string, ProjectRecord>;
  builds: Map<string, BuildRecord>;
  tokens: Map<string, { buildId: string; at: number; fingerprint: string }>;
  fleets: Fleets;
}

export function newCodeBuildState(region: string): CodeBuildState {
  return { region, projects: new Map(), builds: new Map(), tokens: new Map(), fleets: new Fleets(region) };
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const rec = (v: unknown): Body | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Body) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const invalid = (msg: string) => new AwsError("InvalidInputException", msg);

export class CodeBuild {
  constructor(
    readonly state: CodeBuildState,
    private readonly clock: Clock,
    private readonly runtime: ContainerRuntime,
    /** Draws each build's QUEUED and PROVISIONING durations (PROVISIONING includes the pull of an uncached image). */
    private readonly boot: BootModel,
    /** Where PARAMETER_STORE variables are read; builds naming one fail when there is none. */
    private readonly ssm?: Ssm,
  ) {}

  startBuild(body: Body): Body {
    const { state, clock } = this;
    const name = str(body.projectName) ?? "";
    const project = state.projects.get(name.startsWith("arn:") ? name.slice(name.lastIndexOf("/") + 1) : name);
    if (!project) throw new AwsError("ResourceNotFoundException", `Project cannot be found: arn:aws:codebuild:${state.region}:${ACCOUNT}:project/${name}`);
    const now = clock.now();
    const token = str(body.idempotencyToken);
    const { idempotencyToken: _t, ...params } = body;
    const fp = JSON.stringify(params);
    if (token !== undefined) {
      const seen = state.tokens.get(token);
      if (seen && now - seen.at < IDEMPOTENCY_WINDOW_MS) {
        if (seen.fingerprint !== fp) throw invalid("Idempotency token has already been used with different parameters.");
        const b = state.builds.get(seen.buildId);
        if (b) return { build: buildToApi(b) };
      }
    }
    // A fleet's instances are of its environment and compute type: the build takes them.
    const fleetArn = str(rec(body.fleetOverride)?.fleetArn);
    const fleet = fleetArn === undefined ? undefined : state.fleets.find(fleetArn);
    const environmentType = fleet?.environmentType ?? str(body.environmentTypeOverride) ?? project.environmentType;
    const computeType = fleet?.computeType ?? str(body.computeTypeOverride) ?? project.computeType;
    const allowed = COMPUTE_TYPES_BY_ENVIRONMENT[environmentType];
    if (!allowed) throw invalid(`Environment type ${environmentType} is not supported by this simulator (LINUX_CONTAINER, ARM_CONTAINER).`);
    if (!allowed.includes(computeType)) throw invalid(`Invalid compute type ${computeType} for environment type ${environmentType}.`);
    const env = project.environmentVariables.map((e) => ({ ...e }));
    for (const e of arr(body.environmentVariablesOverride).map(rec)) {
      const n = str(e?.name) ?? "";
      const type = str(e?.type) ?? "PLAINTEXT";
      if (!n) throw invalid("Environment variable name cannot be empty.");
      const i = env.findIndex((x) => x.name === n);
      const v = { name: n, value: str(e?.value) ?? "", type };
      if (i >= 0) env[i] = v;
      else env.push(v);
    }
    project.buildCounter++;
    const id = `${project.name}:${randomUUID()}`;
    const image = str(body.imageOverride) ?? project.image;
    const arch = environmentType === "ARM_CONTAINER" ? "ARM64" : "X86_64";
    const build: BuildRecord = {
      id,
      arn: `arn:aws:codebuild:${state.region}:${ACCOUNT}:build/${id}`,
      buildNumber: project.buildCounter,
      project,
      environmentType,
      image,
      computeType,
      privilegedMode: typeof body.privilegedModeOverride === "boolean" ? body.privilegedModeOverride : project.privilegedMode,
      env,
      startTime: now,
      status: "IN_PROGRESS",
      phases: [{ phaseType: "SUBMITTED", startTime: now, endTime: now, phaseStatus: "SUCCEEDED" }, { phaseType: "QUEUED", startTime: now }],
      complete: false,
      idempotencyToken: token,
      boot: this.boot.plan({ backend: "CODEBUILD", arch, image }),
    };
    state.builds.set(id, build);
    if (token !== undefined) state.tokens.set(token, { buildId: id, at: now, fingerprint: fp });
    const placed = fleet && state.fleets.place(fleet, id);
    if (fleet && placed) {
      build.fleet = { arn: fleet.arn, name: fleet.name, onInstance: placed.kind !== "on-demand" };
      // On an instance: running, image on it — only the hand-over and the runner's start. Queued: the same, once free.
      if (placed.kind !== "on-demand") build.boot = { ...build.boot, queuedMs: FLEET_HANDOVER_MS, provisioningMs: 0, pullMs: 0, cached: true };
      if (placed.kind === "queued") return { build: buildToApi(build) };
    }
    this.schedule(build, build.boot.queuedMs, now);
    return { build: buildToApi(build) };
  }

  private current(b: BuildRecord): PhaseRecord {
    const p = b.phases[b.phases.length - 1];
    if (!p) throw new Error("build without phases");
    return p;
  }

  /** Ends the current phase and starts the next one, at `now` (a scheduled phase's planned end, else the clock's). */
  private advance(b: BuildRecord, status: "SUCCEEDED" | "FAILED" | "STOPPED" = "SUCCEEDED", contexts?: PhaseRecord["contexts"], now = this.clock.now()): void {
    const cur = this.current(b);
    cur.endTime = now;
    cur.phaseStatus = status;
    if (contexts) cur.contexts = contexts;
    const next = status === "FAILED" && cur.phaseType === "DOWNLOAD_SOURCE" ? "FINALIZING" : (PHASES[PHASES.indexOf(cur.phaseType) + 1] ?? "COMPLETED");
    if (status === "FAILED" && cur.phaseType === "DOWNLOAD_SOURCE") b.status = "FAILED";
    b.phases.push({ phaseType: next, startTime: now });
    if (next === "DOWNLOAD_SOURCE") return this.resolveEnvironment(b, now);
    if (next === "COMPLETED") {
      b.endTime = now;
      b.complete = true;
      this.releaseFleetInstance(b, now);
      if (b.status === "IN_PROGRESS") b.status = b.exitCode === undefined || b.exitCode === 0 ? "SUCCEEDED" : "FAILED";
      return;
    }
    if (next === "BUILD") return this.runBuildPhase(b);
    this.schedule(b, next === "PROVISIONING" ? b.boot.provisioningMs + b.boot.pullMs : SHORT_PHASE_MS, now);
  }

  /**
   * Advances the build once clock time reaches `from + ms` (re-arming if a real-time timer fired a hair early), as of
   * that planned moment: a phase lasts what the boot model drew, however late a loaded machine runs the timer.
   */
  private schedule(b: BuildRecord, ms: number, from = this.clock.now()): void {
    b.timer?.cancel();
    const due = from + ms;
    const arm = (wait: number) => {
      const t = this.clock.setTimeout(() => {
        const left = due - this.clock.now();
        if (left > 0) return arm(left);
        b.timer = undefined;
        this.advance(b, "SUCCEEDED", undefined, due);
      }, wait);
      b.timer = { cancel: () => this.clock.clearTimeout(t) };
    };
    arm(Math.max(0, due - this.clock.now()));
  }

  /** DOWNLOAD_SOURCE: resolve PARAMETER_STORE variables with the project's role (the runner role), or fail the build. */
  private resolveEnvironment(b: BuildRecord, at: number): void {
    const env = Object.fromEntries(b.env.map((e) => [e.name, e.value]));
    const stored = b.env.filter((e) => e.type === "PARAMETER_STORE");
    const unsupported = b.env.find((e) => e.type !== "PLAINTEXT" && e.type !== "PARAMETER_STORE");
    if (unsupported) return this.advance(b, "FAILED", [{ statusCode: "Decrypted Variables Error", message: `${unsupported.type} variables are not simulated: ${unsupported.name}` }], at);
    if (stored.length) {
      const got = this.ssm?.resolveForBuild(
        stored.map((e) => e.value),
        principalNamed("runner"),
      ) ?? { error: `parameter does not exist: ${stored[0]?.value ?? ""}` };
      if ("error" in got) return this.advance(b, "FAILED", [{ statusCode: "Decrypted Variables Error", message: got.error }], at);
      for (const e of stored) env[e.name] = got.values.get(e.value) ?? "";
    }
    b.resolved = env;
    this.schedule(b, SHORT_PHASE_MS, at);
  }

  /** A fleet build ended (or was stopped waiting): its instance goes to the first build waiting for one. */
  private releaseFleetInstance(b: BuildRecord, now: number): void {
    const next = b.fleet && this.state.fleets.release(b.id);
    const waiting = next === undefined ? undefined : this.state.builds.get(next);
    if (waiting) this.schedule(waiting, waiting.boot.queuedMs, now);
  }

  private runBuildPhase(b: BuildRecord): void {
    const env = b.resolved ?? Object.fromEntries(b.env.map((e) => [e.name, e.value]));
    b.handle = this.runtime.start(
      { kind: "codebuild", id: b.id, arch: b.environmentType === "ARM_CONTAINER" ? "ARM64" : "X86_64", capacity: b.computeType, env, startupMs: b.boot.runnerStartMs },
      (exitCode) => {
        if (!b.handle) return;
        b.handle = undefined;
        b.exitCode = exitCode;
        if (b.status === "STOPPED") return;
        if (exitCode === 0) this.advance(b);
        else this.advance(b, "FAILED", [{ statusCode: "COMMAND_EXECUTION_ERROR", message: `Error while executing command: runner. Reason: exit status ${exitCode}` }]);
      },
    );
  }

  stopBuild(body: Body): Body {
    const id = str(body.id) ?? "";
    const b = this.state.builds.get(id);
    if (!b) throw new AwsError("ResourceNotFoundException", `Build cannot be found: ${id}`);
    if (b.complete || b.status === "STOPPED") return { build: buildToApi(b) };
    // StopBuild ends the build: the current phase is STOPPED and the build FINALIZING → COMPLETED as STOPPED.
    b.status = "STOPPED";
    b.timer?.cancel();
    const h = b.handle;
    b.handle = undefined;
    h?.signal("SIGKILL");
    const now = this.clock.now();
    this.releaseFleetInstance(b, now);
    const cur = this.current(b);
    cur.endTime = now;
    cur.phaseStatus = "STOPPED";
    if (cur.phaseType !== "FINALIZING") b.phases.push({ phaseType: "FINALIZING", startTime: now });
    this.schedule(b, SHORT_PHASE_MS);
    return { build: buildToApi(b) };
  }

  batchGetBuilds(body: Body): Body {
    const ids = arr(body.ids).filter((i): i is string => typeof i === "string");
    if (!ids.length) throw invalid("ids must not be empty.");
    if (ids.length > 100) throw invalid("ids can have at most 100 items."); // BatchGetBuilds: "Maximum number of 100 items"
    const builds: Body[] = [];
    const buildsNotFound: string[] = [];
    for (const id of ids) {
      const b = this.state.builds.get(id) ?? this.state.builds.get(id.slice(id.indexOf("build/") + 6));
      if (b) builds.push(buildToApi(b));
      else buildsNotFound.push(id);
    }
    return { builds, buildsNotFound };
  }

  /**
   * BatchGetProjects (CodeBuild API Reference): 1–100 names or ARNs; unknown ones come back in `projectsNotFound`.
   * The simulator's projects have no source or artifacts (tornade's runner needs neither): NO_SOURCE, NO_ARTIFACTS.
   */
  batchGetProjects(body: Body): Body {
    const names = arr(body.names).filter((n): n is string => typeof n === "string");
    if (!names.length) throw invalid("names must not be empty.");
    if (names.length > 100) throw invalid("names can have at most 100 items.");
    const projects: Body[] = [];
    const projectsNotFound: string[] = [];
    for (const n of names) {
      const p = this.state.projects.get(n.startsWith("arn:") ? n.slice(n.lastIndexOf("/") + 1) : n);
      if (!p) {
        projectsNotFound.push(n);
        continue;
      }
      projects.push({
        name: p.name,
        arn: p.arn,
        source: { type: "NO_SOURCE", buildspec: "version: 0.2" },
        artifacts: { type: "NO_ARTIFACTS" },
        environment: {
          type: p.environmentType,
          image: p.image,
          computeType: p.computeType,
          privilegedMode: p.privilegedMode,
          environmentVariables: p.environmentVariables,
          imagePullCredentialsType: "CODEBUILD",
        },
        serviceRole: p.serviceRole,
        timeoutInMinutes: p.timeoutInMinutes,
        queuedTimeoutInMinutes: p.queuedTimeoutInMinutes,
        tags: [],
        projectVisibility: "PRIVATE",
      });
    }
    return { projects, projectsNotFound };
  }

  dispose(): void {
    for (const b of this.state.builds.values()) {
      b.timer?.cancel();
      const h = b.handle;
      b.handle = undefined;
      h?.signal("SIGKILL");
    }
  }
}

export function buildToApi(b: BuildRecord): Body {
  const s = epochSeconds;
  const cur = b.phases[b.phases.length - 1];
  return {
    id: b.id,
    arn: b.arn,
    buildNumber: b.buildNumber,
    startTime: s(b.startTime),
    ...(b.endTime !== undefined ? { endTime: s(b.endTime) } : {}),
    currentPhase: cur?.phaseType,
    buildStatus: b.status,
    projectName: b.project.name,
    phases: b.phases.map((p) => ({
      phaseType: p.phaseType,
      ...(p.phaseStatus ? { phaseStatus: p.phaseStatus } : {}),
      startTime: s(p.startTime),
      ...(p.endTime !== undefined ? { endTime: s(p.endTime), durationInSeconds: Math.round((p.endTime - p.startTime) / 1000) } : {}),
      ...(p.contexts ? { contexts: p.contexts } : p.endTime !== undefined ? { contexts: [{ statusCode: "", message: "" }] } : {}),
    })),
    source: { type: "NO_SOURCE", buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n      - runner\n", insecureSsl: false },
    secondarySources: [],
    secondarySourceVersions: [],
    artifacts: { location: "" },
    environment: {
      type: b.environmentType,
      image: b.image,
      computeType: b.computeType,
      ...(b.fleet ? { fleet: { fleetArn: b.fleet.arn } } : {}),
      environmentVariables: b.env.map((e) => ({ name: e.name, value: e.value, type: e.type })),
      privilegedMode: b.privilegedMode,
      imagePullCredentialsType: "CODEBUILD",
    },
    serviceRole: b.project.serviceRole,
    timeoutInMinutes: b.project.timeoutInMinutes,
    queuedTimeoutInMinutes: b.project.queuedTimeoutInMinutes,
    buildComplete: b.complete,
    initiator: "tornade",
    encryptionKey: `arn:aws:kms:${b.arn.split(":")[3]}:${ACCOUNT}:alias/aws/s3`,
  };
}
