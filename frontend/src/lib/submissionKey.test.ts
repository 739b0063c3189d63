import { describe, expect, it } from "vitest";
import { submissionKeys } from "./submissionKey";

describe("submissionKeys", () => {
  it("gives the same key to the same submission sent again, and a new key to a changed one", () => {
    let count = 0;
    const keyOf = submissionKeys(() => `key-${(count += 1)}`);
    const body = { name: "poems", records: 10 };
    expect(keyOf(body)).toBe("key-1");
    expect(keyOf({ ...body })).toBe("key-1");
    expect(keyOf({ ...body, records: 11 })).toBe("key-2");
    expect(keyOf(body)).toBe("key-3");
  });
});
