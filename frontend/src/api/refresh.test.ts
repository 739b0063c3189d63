import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { refreshAfterWrite } from "./hooks";

// The list's first fetch starts before a write and answers after it, with what it saw before.
function slowStaleThenFresh() {
  let calls = 0;
  let releaseFirst: (value: string[]) => void = () => {};
  const queryFn = () => {
    calls += 1;
    if (calls === 1) return new Promise<string[]>((resolve) => (releaseFirst = resolve));
    return Promise.resolve(["builtin", "new"]);
  };
  return { queryFn, release: () => releaseFirst(["builtin"]), calls: () => calls };
}

async function observe(client: QueryClient, queryFn: () => Promise<string[]>) {
  const observer = new QueryObserver(client, { queryKey: ["templates"], queryFn });
  const unsubscribe = observer.subscribe(() => {});
  await Promise.resolve();
  return { observer, unsubscribe };
}

describe("refreshAfterWrite", () => {
  it("fetches anew even while the first, stale fetch is still in flight", async () => {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const fake = slowStaleThenFresh();
    const { observer, unsubscribe } = await observe(client, fake.queryFn);
    const refreshed = refreshAfterWrite(client, ["templates"]);
    fake.release();
    await refreshed;
    expect(fake.calls()).toBe(2);
    expect(observer.getCurrentResult().data).toEqual(["builtin", "new"]);
    unsubscribe();
  });

  it("is needed: plain invalidation keeps the stale answer", async () => {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const fake = slowStaleThenFresh();
    const { observer, unsubscribe } = await observe(client, fake.queryFn);
    const invalidated = client.invalidateQueries({ queryKey: ["templates"] });
    fake.release();
    await invalidated;
    expect(fake.calls()).toBe(1);
    expect(observer.getCurrentResult().data).toEqual(["builtin"]);
    unsubscribe();
  });
});
