import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it.each([
    ["7d", 7 * 86_400_000],
    ["12h", 12 * 3_600_000],
    ["30m", 1_800_000],
    ["2w", 14 * 86_400_000],
    ["1.5h", 5_400_000],
    ["0d", 0],
    ["0s", 0],
    [" 90S ", 90_000],
  ])("%j", (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(["", "7", "d", "-1d", "+1d", "7 days", "1e3s", "1.d", "Infinityd", `${"9".repeat(400)}w`])("refuses %j", (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe("formatDuration", () => {
  it.each([
    [10_800_000, "3h"],
    [90_000, "90s"],
    [1_500, "1.5s"],
    [0, "0s"],
    [604_800_000, "1w"],
    [86_400_000 * 8, "8d"],
    [5_400_000, "90m"],
  ])("%i → %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
  it("reads back as the same duration", () => {
    for (const ms of [1_000, 60_000, 3_600_000, 172_800_000, 1_209_600_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
