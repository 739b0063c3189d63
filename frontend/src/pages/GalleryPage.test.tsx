import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderApp, type RecordedRequest } from "../test/helpers";

function entry(id: string, name: string, forks: number, extra: Record<string, unknown> = {}) {
  return { gallery_id: id, name, description: `${name} prompts`, tags: ["poetry"], author: null, forks, published_at: "2026-11-25T12:00:00Z", steps: 2, ...extra };
}

const forked = {
  template_id: "tpl-fork",
  version: 1,
  latest_version: 1,
  owner: "you",
  saved_at: "",
  document: { id: "tpl-fork", name: "Sonnets", version: 1, steps: [{ id: "one", model_tier: "tier-1", prompt: "Hi" }] },
};

describe("gallery page", () => {
  it("lists published templates with their fork counts, searches and sorts", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/gallery", {
      "GET /gallery": (r: RecordedRequest) => {
        const q = r.search.get("q") ?? "";
        const all = r.search.get("sort") === "forks" ? [entry("gal-2", "Haiku", 5), entry("gal-1", "Sonnets", 1, { author: "Alice P." })] : [entry("gal-1", "Sonnets", 1, { author: "Alice P." }), entry("gal-2", "Haiku", 5)];
        return { entries: all.filter((e) => e.name.toLowerCase().includes(q.toLowerCase())), next_cursor: null };
      },
    });
    const cards = await screen.findAllByTestId("gallery-card");
    expect(cards.map((c) => c.querySelector("h3")?.textContent)).toEqual(["Sonnets", "Haiku"]);
    expect(cards[0]).toHaveTextContent("by Alice P.");
    expect(cards[1]!.querySelector("[data-testid=fork-count]")).toHaveTextContent("5 forks");

    await user.selectOptions(screen.getByLabelText("Sort by"), "forks");
    await waitFor(() => expect(screen.getAllByTestId("gallery-card").map((c) => c.querySelector("h3")?.textContent)).toEqual(["Haiku", "Sonnets"]));

    await user.type(screen.getByLabelText("Search"), "sonn{Enter}");
    await waitFor(() => expect(screen.getAllByTestId("gallery-card")).toHaveLength(1));
    const last = requests.filter((r) => r.path === "/gallery").at(-1);
    expect([last?.search.get("q"), last?.search.get("sort")]).toEqual(["sonn", "forks"]);

    await user.clear(screen.getByLabelText("Search"));
    await user.type(screen.getByLabelText("Search"), "nothing{Enter}");
    expect(await screen.findByText("No published template matches “nothing”.")).toBeInTheDocument();
  });

  it("loads more pages through the cursor", async () => {
    const user = userEvent.setup();
    renderApp("/gallery", {
      "GET /gallery": (r: RecordedRequest) =>
        r.search.get("cursor") === "next" ? { entries: [entry("gal-2", "Haiku", 0)], next_cursor: null } : { entries: [entry("gal-1", "Sonnets", 0)], next_cursor: "next" },
    });
    await user.click(await screen.findByRole("button", { name: "Load more" }));
    await waitFor(() => expect(screen.getAllByTestId("gallery-card")).toHaveLength(2));
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("forks a template and opens the copy on the templates page", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/gallery", {
      "GET /gallery": { entries: [entry("gal-1", "Sonnets", 0)], next_cursor: null },
      "POST /gallery/:id/fork": json(forked, 201),
      "GET /templates": { templates: [{ template_id: "tpl-fork", name: "Sonnets", latest_version: 1, owner: "you", updated_at: "" }] },
      "GET /templates/:id": forked,
      "GET /templates/:id/versions": { template_id: "tpl-fork", versions: [{ version: 1, name: "Sonnets" }] },
    });
    await user.click(await screen.findByRole("button", { name: "Fork Sonnets" }));
    expect(await screen.findByTestId("template-id")).toHaveTextContent("tpl-fork");
    expect(window.location.pathname).toBe("/templates");
    expect(requests.some((r) => r.method === "POST" && r.path === "/gallery/gal-1/fork")).toBe(true);
  });

  it("shows why a fork failed and stays", async () => {
    const user = userEvent.setup();
    renderApp("/gallery", {
      "GET /gallery": { entries: [entry("gal-1", "Sonnets", 0)], next_cursor: null },
      "POST /gallery/:id/fork": json({ message: "gallery template gal-1 not found" }, 404),
    });
    await user.click(await screen.findByRole("button", { name: "Fork Sonnets" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("gallery template gal-1 not found");
    expect(window.location.pathname).toBe("/gallery");
  });
});
