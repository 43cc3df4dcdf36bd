/** SqliteHandle.relaxed: one commit without waiting for the disk, FULL again afterwards whatever happens. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqlite } from "./sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-relaxed-"));
const h = openSqlite(join(dir, "t.db"));
afterAll(() => {
  h.close();
  rmSync(dir, { recursive: true, force: true });
});
const level = () => Number(h.db.pragma("synchronous", { simple: true }));
const FULL = 2;
const NORMAL = 1;

describe("relaxed commits", () => {
  it("commit at NORMAL and leave the handle at FULL, also when the work throws", () => {
    expect(level()).toBe(FULL);
    expect(h.relaxed(() => level())).toBe(NORMAL);
    expect(level()).toBe(FULL);
    expect(() => h.relaxed(() => { throw new Error("boom"); })).toThrow("boom");
    expect(level()).toBe(FULL);
  });

  it("inside a transaction keep the transaction's durability", () => {
    expect(h.tx(() => h.relaxed(() => level()))).toBe(FULL);
  });

  it("write what they are given", () => {
    h.relaxed(() => h.stmt("INSERT INTO meta (key, value, updated_at) VALUES ('k', 'v', 0)").run());
    expect(h.stmt("SELECT value FROM meta WHERE key = 'k'").get()).toEqual({ value: "v" });
  });
});
