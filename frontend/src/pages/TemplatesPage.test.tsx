import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { loadDraft, saveDraft } from "../lib/draft";
import { alice, json, renderApp, type RecordedRequest } from "../test/helpers";

const builtin = {
  template_id: "poem-questions",
  version: 1,
  latest_version: 1,
  owner: "builtin",
  saved_at: "",
  document: { id: "poem-questions", name: "Poem questions and answers", version: 1, steps: [{ id: "question", model_tier: "tier-1", prompt: "Ask about {{ poem.title }}\n" }] },
};

function mine(version: number, prompt = `v${version} {{ author.name }}`) {
  return {
    template_id: "tpl-abc",
    version,
    latest_version: 2,
    owner: "you",
    saved_at: "2026-01-02T10:00:00Z",
    document: { id: "tpl-abc", name: "Mine", version, steps: [{ id: "one", model_tier: "tier-1", prompt }] },
  };
}

const listing = {
  templates: [
    { template_id: "tpl-abc", name: "Mine", latest_version: 2, owner: "you", updated_at: "" },
    { template_id: "poem-questions", name: "Poem questions and answers", latest_version: 1, owner: "builtin", updated_at: "" },
  ],
};

const BAD = "name: Bad\nsteps:\n  - id: haiku\n    model_tier: tier-1\n    prompt: |\n      Line one\n      {{ x.__mro__ }}\n";

async function plainEditor(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByRole("button", { name: "Edit as plain text" }));
  return screen.getByLabelText("Template YAML") as HTMLTextAreaElement;
}

function typeYaml(textarea: HTMLTextAreaElement, text: string) {
  fireEvent.change(textarea, { target: { value: text } });
}

describe("templates page", () => {
  it("edits YAML in CodeMirror with syntax highlighting", async () => {
    const user = userEvent.setup();
    renderApp("/templates", { "GET /templates": listing });
    await user.click(await screen.findByRole("button", { name: "New template" }));
    const editor = screen.getByTestId("template-editor");
    await waitFor(() => expect(editor.querySelector(".cm-editor .cm-content")).not.toBeNull());
    expect(editor.querySelector(".cm-content")).toHaveTextContent("model_tier: tier-1");
    // The YAML parser tags keys, so the theme colours them.
    expect(editor.querySelectorAll(".cm-line span[class]").length).toBeGreaterThan(5);
    expect(screen.queryByLabelText("Template YAML")).not.toBeInTheDocument();
  });

  it("creates a template and shows its id and version", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/templates", {
      "GET /templates": listing,
      "POST /templates": json({ ...mine(1), template_id: "tpl-new", latest_version: 1 }, 201),
      "GET /templates/:id/versions": { template_id: "tpl-new", versions: [{ version: 1, name: "Mine" }] },
    });
    await user.click(await screen.findByRole("button", { name: "New template" }));
    const textarea = await plainEditor(user);
    expect(textarea.value).toContain("steps:");
    typeYaml(textarea, "name: Mine\nsteps:\n  - id: one\n    model_tier: tier-1\n    prompt: Hi {{ author.name }}\n");
    await user.click(screen.getByRole("button", { name: "Save template" }));
    expect(await screen.findByTestId("template-id")).toHaveTextContent("tpl-new");
    expect(screen.getByTestId("template-version")).toHaveTextContent("1");
    expect(requests.find((r) => r.method === "POST")?.body).toEqual({
      document: { name: "Mine", steps: [{ id: "one", model_tier: "tier-1", prompt: "Hi {{ author.name }}" }] },
    });
    expect(loadDraft(alice.email)).toBeNull();
  });

  it("shows the server's validation error and marks the line it names", async () => {
    const user = userEvent.setup();
    renderApp("/templates", {
      "GET /templates": listing,
      "POST /templates": json({ message: "step 'haiku': attribute '__mro__' is not allowed (line 2)" }, 400),
    });
    await user.click(await screen.findByRole("button", { name: "New template" }));
    typeYaml(await plainEditor(user), BAD);
    await user.click(screen.getByRole("button", { name: "Save template" }));
    const error = await screen.findByTestId("template-error");
    expect(error).toHaveTextContent("step 'haiku': attribute '__mro__' is not allowed (line 2)");
    expect(error).toHaveTextContent("Marked in the editor at line 7");
    expect(screen.queryByTestId("template-id")).not.toBeInTheDocument();

    // Back in the code editor, the line carries a lint diagnostic.
    await user.click(screen.getByRole("button", { name: "Edit as plain text" }));
    const editor = screen.getByTestId("template-editor");
    await waitFor(() => expect(editor.querySelector(".cm-lintRange-error")).not.toBeNull());
    expect(editor.querySelector(".cm-lintRange-error")).toHaveTextContent("{{ x.__mro__ }}");
    expect(editor.querySelector(".cm-lint-marker-error")).not.toBeNull();
  });

  it("refuses YAML that does not parse without asking the server", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/templates", { "GET /templates": listing });
    await user.click(await screen.findByRole("button", { name: "New template" }));
    typeYaml(await plainEditor(user), "name: [unclosed\nsteps: x\n");
    await user.click(screen.getByRole("button", { name: "Save template" }));
    expect(await screen.findByTestId("template-error")).toHaveTextContent(/YAML: .*line/);
    expect(requests.some((r) => r.method === "POST")).toBe(false);
  });

  it("keeps a half-written template when the session expires, and restores it after sign-in", async () => {
    const user = userEvent.setup();
    const { auth } = renderApp("/templates", {
      "GET /templates": listing,
      "POST /templates": json({ message: "Unauthorized" }, 401),
    });
    await user.click(await screen.findByRole("button", { name: "New template" }));
    const draft = "name: Half\nsteps:\n  - id: one\n    model_tier: tier-1\n    prompt: Hello {{ a }}\n";
    typeYaml(await plainEditor(user), draft);
    await user.click(screen.getByRole("button", { name: "Save template" }));

    expect(await screen.findByText(/Your session expired/)).toBeInTheDocument();
    expect(auth.signOut).toHaveBeenCalled();
    expect(screen.getByLabelText("Email")).toHaveValue(alice.email);
    await user.type(screen.getByLabelText("Password"), "Secret-Passw0rd!");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByText("Unsaved draft restored")).toBeInTheDocument();
    expect(await plainEditor(user)).toHaveValue(draft);
  });

  it("reopens a draft of an existing template against that template", async () => {
    const user = userEvent.setup();
    saveDraft(alice.email, { templateId: "tpl-abc", text: "name: Mine\nsteps: []\n" });
    const { requests } = renderApp("/templates", {
      "GET /templates": listing,
      "GET /templates/:id/versions": { template_id: "tpl-abc", versions: [{ version: 2, name: "Mine" }, { version: 1, name: "Mine" }] },
      "GET /templates/:id": mine(2),
      "PUT /templates/:id": mine(3),
    });
    expect(await screen.findByTestId("template-id")).toHaveTextContent("tpl-abc");
    expect(await plainEditor(user)).toHaveValue("name: Mine\nsteps: []\n");
    await user.click(screen.getByRole("button", { name: "Save template" }));
    await waitFor(() => expect(screen.getByTestId("template-version")).toHaveTextContent("3"));
    expect(requests.find((r) => r.method === "PUT")?.path).toBe("/templates/tpl-abc");
  });

  it("shows an older version from the history", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/templates", {
      "GET /templates": listing,
      "GET /templates/:id/versions": { template_id: "tpl-abc", versions: [{ version: 1, name: "Mine" }, { version: 2, name: "Mine" }] },
      "GET /templates/:id": (r: RecordedRequest) => mine(Number(r.search.get("version") ?? 2)),
    });
    await user.click(await screen.findByRole("button", { name: "Mine" }));
    const textarea = await plainEditor(user);
    await waitFor(() => expect(textarea.value).toContain("v2 {{ author.name }}"));
    const items = await screen.findAllByRole("button", { name: /^v\d/ });
    expect(items.map((b) => b.textContent?.slice(0, 2))).toEqual(["v2", "v1"]);
    await user.click(items[1]!);
    await waitFor(() => expect((screen.getByLabelText("Template YAML") as HTMLTextAreaElement).value).toContain("v1 {{ author.name }}"));
    expect(screen.getByTestId("template-version")).toHaveTextContent("1");
    expect(screen.getByText(/Saving it makes it version 3/)).toBeInTheDocument();
    expect(requests.some((r) => r.path === "/templates/tpl-abc" && r.search.get("version") === "1")).toBe(true);
  });

  it("keeps built-in templates read-only", async () => {
    const user = userEvent.setup();
    renderApp("/templates", {
      "GET /templates": listing,
      "GET /templates/:id/versions": { template_id: "poem-questions", versions: [{ version: 1, name: "Poem questions and answers" }] },
      "GET /templates/:id": builtin,
    });
    await user.click(await screen.findByRole("button", { name: "Poem questions and answers" }));
    expect(await screen.findByText("Built-in templates are read-only")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save template" })).toBeDisabled();
    expect(await plainEditor(user)).toHaveAttribute("readonly");
  });

  it("previews a step against a seed record by simple substitution", async () => {
    const user = userEvent.setup();
    renderApp("/templates", { "GET /templates": listing });
    await user.click(await screen.findByRole("button", { name: "New template" }));
    typeYaml(await plainEditor(user), "name: P\nsteps:\n  - id: ask\n    model_tier: tier-1\n    prompt: About {{ poem.title }} by {{ author.name }}\n");
    expect(screen.getByText("Preview (simple substitution; the server renders with Jinja2)")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Seed record (JSON)"), { target: { value: '{"poem": {"title": "Ozymandias"}}' } });
    expect(screen.getByTestId("template-preview")).toHaveTextContent("About Ozymandias by [missing: author.name]");
    expect(screen.getByText("The seed record lacks author.name.")).toBeInTheDocument();
  });
});
