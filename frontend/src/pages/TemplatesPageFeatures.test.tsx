import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { json, renderApp, type RecordedRequest } from "../test/helpers";

function mine(version: number, latest = 2) {
  return {
    template_id: "tpl-abc",
    version,
    latest_version: latest,
    owner: "you",
    saved_at: "2026-01-02T10:00:00Z",
    document: { id: "tpl-abc", name: "Mine", version, description: "Poems", steps: [{ id: "one", model_tier: "tier-1", prompt: `v${version}` }] },
  };
}

const listing = { templates: [{ template_id: "tpl-abc", name: "Mine", latest_version: 2, owner: "you", updated_at: "" }] };
const versions = { template_id: "tpl-abc", versions: [{ version: 2, name: "Mine" }, { version: 1, name: "Mine" }] };
const DIFF = "--- tpl-abc@1\n+++ tpl-abc@2\n@@ -1,3 +1,3 @@\n name: Mine\n-  prompt: v1\n+  prompt: v2\n";

describe("templates page: history, YAML files, publishing", () => {
  it("shows a diff of an old version against the latest and restores it as a new version", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/templates?template=tpl-abc", {
      "GET /templates": listing,
      "GET /templates/:id/versions": () =>
        requests.some((q) => q.method === "POST") ? { template_id: "tpl-abc", versions: [{ version: 3, name: "Mine" }, ...versions.versions] } : versions,
      "GET /templates/:id": (r: RecordedRequest) => mine(Number(r.search.get("version") ?? 2)),
      "GET /templates/:id/diff": { template_id: "tpl-abc", from_version: 1, to_version: 2, diff: DIFF },
      "POST /templates/:id/versions/:n/restore": json({ ...mine(3, 3), document: { ...mine(1).document, version: 3 } }, 201),
    });
    await user.click(await screen.findByRole("button", { name: "Compare version 1 with version 2" }));
    const diff = await screen.findByTestId("template-diff");
    expect(diff.querySelector(".diff-remove")?.textContent).toBe("-  prompt: v1\n");
    expect(diff.querySelector(".diff-add")?.textContent).toBe("+  prompt: v2\n");
    expect(diff.querySelector(".diff-hunk")?.textContent).toBe("@@ -1,3 +1,3 @@\n");
    const asked = requests.find((r) => r.path === "/templates/tpl-abc/diff");
    expect([asked?.search.get("from"), asked?.search.get("to")]).toEqual(["1", "2"]);

    await user.click(screen.getByRole("button", { name: "Restore version 1" }));
    expect(await screen.findByText("Restored version 1 as version 3.")).toBeInTheDocument();
    expect(screen.getByTestId("template-version")).toHaveTextContent("3");
    expect(requests.some((r) => r.method === "POST" && r.path === "/templates/tpl-abc/versions/1/restore")).toBe(true);
    await waitFor(() => expect(screen.getAllByRole("button", { name: /^v\d/ }).map((b) => b.textContent?.slice(0, 2))).toEqual(["v3", "v2", "v1"]));
  });

  it("imports pasted YAML as a new template and opens it; a refusal shows the server's line", async () => {
    const user = userEvent.setup();
    let attempt = 0;
    const { requests } = renderApp("/templates", {
      "GET /templates": listing,
      "POST /templates/import": () => {
        attempt += 1;
        return attempt === 1
          ? json({ message: "invalid YAML at line 4, column 3: expected <block end>, but found '?'" }, 400)
          : json({ ...mine(1, 1), template_id: "tpl-new" }, 201);
      },
      "GET /templates/:id/versions": { template_id: "tpl-new", versions: [{ version: 1, name: "Mine" }] },
      "GET /templates/:id": { ...mine(1, 1), template_id: "tpl-new" },
    });
    await user.click(await screen.findByRole("button", { name: "Import YAML" }));
    fireEvent.change(screen.getByLabelText("or paste the YAML"), { target: { value: "name: x\nsteps:\n  - id: a\n  prompt: b\n" } });
    await user.click(screen.getByRole("button", { name: "Import as a new template" }));
    expect(await screen.findByTestId("import-error")).toHaveTextContent("line 4, column 3");
    await user.click(screen.getByRole("button", { name: "Import as a new template" }));
    expect(await screen.findByTestId("template-id")).toHaveTextContent("tpl-new");
    expect(screen.queryByLabelText("or paste the YAML")).not.toBeInTheDocument();
    expect(requests.filter((r) => r.path === "/templates/import").map((r) => r.body)).toEqual([
      { yaml: "name: x\nsteps:\n  - id: a\n  prompt: b\n" },
      { yaml: "name: x\nsteps:\n  - id: a\n  prompt: b\n" },
    ]);
  });

  it("exports the shown version as a YAML file", async () => {
    const user = userEvent.setup();
    const created = vi.fn((_: Blob) => "blob:yaml");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    const { requests } = renderApp("/templates?template=tpl-abc", {
      "GET /templates": listing,
      "GET /templates/:id/versions": versions,
      "GET /templates/:id": mine(2),
      "GET /templates/:id/export": { template_id: "tpl-abc", version: 2, yaml: "id: tpl-abc\nname: Mine\n" },
    });
    await user.click(await screen.findByRole("button", { name: "Export YAML" }));
    await waitFor(() => expect(clicked).toHaveBeenCalled());
    const blob = created.mock.calls[0]![0];
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(blob);
    });
    expect(text).toBe("id: tpl-abc\nname: Mine\n");
    expect(blob.type).toBe("application/yaml");
    expect(requests.find((r) => r.path === "/templates/tpl-abc/export")?.search.get("version")).toBe("2");
    clicked.mockRestore();
  });

  it("publishes the shown version with a description, tags and an optional author name", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/templates?template=tpl-abc", {
      "GET /templates": listing,
      "GET /templates/:id/versions": versions,
      "GET /templates/:id": mine(2),
      "POST /templates/:id/publish": json({ gallery_id: "gal-1", name: "Mine", description: "Poems", tags: [], author: null, forks: 0, published_at: "", steps: 1, document: {} }, 201),
    });
    await user.click(await screen.findByRole("button", { name: "Publish" }));
    expect(screen.getByLabelText("Description")).toHaveValue("Poems");
    await user.type(screen.getByLabelText("Tags (comma-separated)"), "poetry, short ,");
    await user.click(screen.getByRole("button", { name: "Publish version 2" }));
    expect(await screen.findByTestId("published")).toHaveTextContent("gal-1");
    expect(requests.find((r) => r.method === "POST")?.body).toEqual({ version: 2, description: "Poems", tags: ["poetry", "short"] });
  });
});
