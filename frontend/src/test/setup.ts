import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach, beforeEach, vi } from "vitest";

// findBy*/waitFor give up after 1 s by default: on a loaded CI machine a render can take longer
// than that, and the test failed for no fault of the page. Waiting longer never makes a wrong
// page pass: a check that never holds still fails, only later.
configure({ asyncUtilTimeout: 30_000 });

// jsdom does no layout; CodeMirror measures text ranges. Give it empty rectangles.
if (typeof Range !== "undefined" && !Range.prototype.getClientRects) {
  Range.prototype.getClientRects = function getClientRects() {
    const rects: DOMRect[] = [];
    return Object.assign(rects, { item: (index: number) => rects[index] ?? null }) as unknown as DOMRectList;
  };
  Range.prototype.getBoundingClientRect = function getBoundingClientRect() {
    return new DOMRect(0, 0, 0, 0);
  };
}

// The e2e run fails on any console error; so do the unit tests (React warnings included).
let consoleProblems: unknown[][] = [];

beforeEach(() => {
  consoleProblems = [];
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void consoleProblems.push(["error", ...args]));
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void consoleProblems.push(["warn", ...args]));
});

afterEach(() => {
  cleanup();
  localStorage.clear();
  sessionStorage.clear();
  window.history.pushState({}, "", "/");
  const problems = consoleProblems;
  consoleProblems = [];
  if (problems.length > 0) {
    throw new Error(`console output during the test:\n${problems.map((p) => p.map(String).join(" ")).join("\n")}`);
  }
});
