/** Shared setup for the AWS simulator's tests: a sim on a compressed clock and real SDK clients pointed at it. */
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { ECSClient } from "@aws-sdk/client-ecs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { scaledClock, type Clock } from "../../src/clock/clock.js";
import type { ContainerRuntime } from "../runtime.js";
import { startAwsSim, validateOutput, type AwsSim, type AwsSimOptions, type RequestRecord, type ResponseRecord, type StaticCredentials } from "./index.js";

export interface Bed {
  sim: AwsSim;
  clock: Clock;
  ecs: (maxAttempts?: number) => ECSClient;
  codebuild: (maxAttempts?: number) => CodeBuildClient;
  /** As the operator by default; as the runner role or a ReadOnlyAccess reader with their keys. */
  ssm: (credentials?: StaticCredentials, maxAttempts?: number) => SSMClient;
  requests: RequestRecord[];
  responses: ResponseRecord[];
  /** Output-model problems in every answer given so far. */
  outputProblems(): string[];
}

export async function startBed(opts: AwsSimOptions & { speed?: number; runtime?: ContainerRuntime } = {}): Promise<Bed> {
  const clock = opts.clock ?? scaledClock(opts.speed ?? 600);
  const requests: RequestRecord[] = [];
  const responses: ResponseRecord[] = [];
  const sim = await startAwsSim({ ...opts, clock, onRequest: (r) => requests.push(r), onResponse: (r) => responses.push(r) });
  const config = (maxAttempts: number, credentials: StaticCredentials = { accessKeyId: "test", secretAccessKey: "test" }) => ({
    endpoint: sim.endpoint,
    region: sim.region,
    credentials,
    maxAttempts,
  });
  return {
    sim,
    clock,
    ecs: (maxAttempts = 1) => new ECSClient(config(maxAttempts)),
    codebuild: (maxAttempts = 1) => new CodeBuildClient(config(maxAttempts)),
    ssm: (credentials, maxAttempts = 1) => new SSMClient(config(maxAttempts, credentials)),
    requests,
    responses,
    outputProblems: () => responses.flatMap((r) => validateOutput(r.service, r.operation, r.body).map((i) => `${r.service}.${r.operation}: ${i.message}`)),
  };
}

/** Polls `fn` on the real clock until it answers a value (not undefined), for state reached through clock timers. */
export async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("condition not reached");
}

/** A runtime whose containers run until signalled or told to exit; records the signals they got. */
export function controllableRuntime() {
  const containers = new Map<
    string,
    { signals: string[]; exit: (code: number) => void; env: Record<string, string>; arch: string; capacity: string; startupMs: number | undefined }
  >();
  const runtime: ContainerRuntime = {
    start(spec, onExit) {
      let done = false;
      const c = {
        signals: [] as string[],
        env: { ...spec.env },
        arch: spec.arch,
        capacity: spec.capacity,
        startupMs: spec.startupMs,
        exit: (code: number) => {
          if (done) return;
          done = true;
          onExit(code);
        },
      };
      containers.set(spec.id, c);
      return {
        signal: (sig) => {
          c.signals.push(sig);
          if (sig === "SIGKILL") c.exit(137);
        },
      };
    },
  };
  return { runtime, containers };
}
