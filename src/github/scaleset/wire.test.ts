/**
 * The client reads the members GitHub's public client declares, under the same json names: each schema of wire.ts
 * against the fixture of actions/scaleset's types (testbed/github/scaleset/client-types.json, extracted from types.go).
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { loadScaleSetTypes } from "../../../testbed/github/scaleset/client-types.js";
import * as wire from "./wire.js";

const PAIRS: [string, z.ZodObject, string][] = [
  ["StatisticsWire", wire.StatisticsWire, "RunnerScaleSetStatistic"],
  ["LabelWire", wire.LabelWire, "Label"],
  ["RunnerSettingWire", wire.RunnerSettingWire, "RunnerSetting"],
  ["RunnerScaleSetWire", wire.RunnerScaleSetWire, "RunnerScaleSet"],
  ["RunnerScaleSetListWire", wire.RunnerScaleSetListWire, "runnerScaleSetsResponse"],
  ["RunnerGroupWire", wire.RunnerGroupWire, "RunnerGroup"],
  ["RunnerGroupListWire", wire.RunnerGroupListWire, "RunnerGroupList"],
  ["RunnerReferenceWire", wire.RunnerReferenceWire, "RunnerReference"],
  ["RunnerReferenceListWire", wire.RunnerReferenceListWire, "RunnerReferenceList"],
  ["JitRunnerConfigWire", wire.JitRunnerConfigWire, "RunnerScaleSetJitRunnerConfig"],
  ["SessionWire", wire.SessionWire, "RunnerScaleSetSession"],
  ["MessageWire", wire.MessageWire, "RunnerScaleSetMessage"],
  ["Int64ListWire", wire.Int64ListWire, "Int64List"],
  ["JobAvailableWire", wire.JobAvailableWire, "JobAvailable"],
  ["JobAssignedWire", wire.JobAssignedWire, "JobAssigned"],
  ["JobStartedWire", wire.JobStartedWire, "JobStarted"],
  ["JobCompletedWire", wire.JobCompletedWire, "JobCompleted"],
  ["AdminConnectionWire", wire.AdminConnectionWire, "actionsServiceAdminConnection"],
];

describe("the wire schemas", () => {
  const { types } = loadScaleSetTypes();

  it.each(PAIRS)("%s reads only members of %s's Go type, %s, by their json names", (_name, schema, goType) => {
    const declared = types[goType]?.fields.map((f) => f.json);
    expect(declared, `${goType} in the fixture`).toBeDefined();
    expect(Object.keys(schema.shape).filter((k) => !declared?.includes(k))).toEqual([]);
  });

  it("knows every job message type the Go client declares", () => {
    expect([...wire.JOB_MESSAGE_TYPES].filter((t) => !types[t])).toEqual([]);
  });
});
