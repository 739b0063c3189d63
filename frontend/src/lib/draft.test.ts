import { describe, expect, it } from "vitest";
import { clearDraft, loadDraft, saveDraft } from "./draft";

describe("template drafts", () => {
  it("round-trips a draft per user", () => {
    saveDraft("Alice@example.com", { templateId: "tpl-1", text: "name: x\n" });
    saveDraft("bob@example.com", { templateId: null, text: "name: y\n" });
    expect(loadDraft("alice@example.com")).toMatchObject({ templateId: "tpl-1", text: "name: x\n" });
    expect(loadDraft("bob@example.com")).toMatchObject({ templateId: null, text: "name: y\n" });
    expect(loadDraft("alice@example.com")?.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("keeps the latest text", () => {
    saveDraft("a@b.c", { templateId: null, text: "one" });
    saveDraft("a@b.c", { templateId: null, text: "two" });
    expect(loadDraft("a@b.c")?.text).toBe("two");
  });

  it("is gone once cleared", () => {
    saveDraft("a@b.c", { templateId: null, text: "one" });
    clearDraft("a@b.c");
    expect(loadDraft("a@b.c")).toBeNull();
  });

  it("ignores what it did not write", () => {
    localStorage.setItem("plot-palette:template-draft:a@b.c", "{not json");
    expect(loadDraft("a@b.c")).toBeNull();
    localStorage.setItem("plot-palette:template-draft:a@b.c", JSON.stringify({ templateId: 3 }));
    expect(loadDraft("a@b.c")).toBeNull();
  });

  it("survives storage that throws", () => {
    const broken = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("full");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    } as unknown as Storage;
    expect(() => saveDraft("a", { templateId: null, text: "x" }, broken)).not.toThrow();
    expect(loadDraft("a", broken)).toBeNull();
    expect(() => clearDraft("a", broken)).not.toThrow();
  });
});
