import { describe, expect, it } from "vitest";
import { formatBytes, formatEta, formatProgress, formatRate, formatUsd, progressPercent } from "./format";

describe("formatProgress", () => {
  it("is done / total", () => {
    expect(formatProgress(12, 12)).toBe("12 / 12");
    expect(formatProgress(0, 100)).toBe("0 / 100");
    expect(formatProgress(undefined, undefined)).toBe("0 / 0");
  });
});

describe("progressPercent", () => {
  it("clamps to 0..100 and survives a zero total", () => {
    expect(progressPercent(5, 20)).toBe(25);
    expect(progressPercent(30, 20)).toBe(100);
    expect(progressPercent(-1, 20)).toBe(0);
    expect(progressPercent(3, 0)).toBe(0);
  });
});

describe("formatEta", () => {
  it.each([
    [null, "—"],
    [undefined, "—"],
    [-1, "—"],
    [Number.POSITIVE_INFINITY, "—"],
    [0, "0 s"],
    [12.4, "12 s"],
    [59.6, "1 min"],
    [200, "3 min 20 s"],
    [3600, "1 h"],
    [7500, "2 h 5 min"],
  ])("%s seconds reads %s", (seconds, text) => {
    expect(formatEta(seconds)).toBe(text);
  });
});

describe("formatUsd", () => {
  it("shows cents for dollars and more digits for the small amounts jobs cost", () => {
    expect(formatUsd(1)).toBe("$1.00");
    expect(formatUsd(12.345)).toBe("$12.35");
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(0.0421)).toBe("$0.0421");
    expect(formatUsd(0.004267)).toBe("$0.004267");
    expect(formatUsd(0.0021)).toBe("$0.0021");
    expect(formatUsd(0.00201)).toBe("$0.00201");
    expect(formatUsd(0.000001)).toBe("$0.000001");
    expect(formatUsd(0.0000001)).toBe("<$0.000001");
    expect(formatUsd(null)).toBe("—");
  });
});

describe("formatRate and formatBytes", () => {
  it("reads naturally", () => {
    expect(formatRate(0)).toBe("—");
    expect(formatRate(0.5)).toBe("0.50 records/s");
    expect(formatRate(3.21)).toBe("3.2 records/s");
    expect(formatRate(93.4)).toBe("93 records/s");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(3686)).toBe("3.6 KB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MB");
  });
});
