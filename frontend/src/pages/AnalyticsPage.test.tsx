import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderApp, type RecordedRequest } from "../test/helpers";
import { dayLabel, formatShare, windowFrom } from "./AnalyticsPage";

function row(key: string, spend_usd: number, jobs: number, records = 0) {
  return { key, spend_usd, jobs, records };
}

function report(days: number, overrides: Record<string, unknown> = {}) {
  const byDay = Array.from({ length: days }, (_, index) => row(`day-${index}`, 0, 0));
  byDay[days - 1] = row("2026-12-01", 0.0125, 2, 40);
  return {
    days,
    first_day: "2026-11-02",
    last_day: "2026-12-01",
    spend_usd: 0.0175,
    jobs: 3,
    records: 50,
    by_day: byDay,
    by_week: [row("2026-W48", 0.005, 1, 10), row("2026-W49", 0.0125, 2, 40)],
    by_model: [row("anthropic.claude-haiku", 0.014, 3), row("unattributed", 0.0035, 1)],
    by_template: [row("tpl-123", 0.0125, 2, 40), row("poem-questions", 0.005, 1, 10)],
    efficiency: {
      finished_jobs: 3,
      budgeted_usd: 2.5,
      spent_usd: 0.0175,
      budget_used: 0.007,
      records_per_usd: 2857.14,
      cost_per_record_usd: 0.00035,
      budget_exceeded_jobs: 1,
      budget_exceeded_share: 0.333333,
    },
    jobs_by_status: { BUDGET_EXCEEDED: 1, COMPLETED: 2 },
    ...overrides,
  };
}

function routes(overrides: Record<string, unknown> = {}) {
  return {
    "GET /analytics/costs": (request: RecordedRequest) => report(Number(request.search.get("days"))),
    "GET /templates": {
      templates: [{ template_id: "tpl-123", name: "Poem critique", latest_version: 2, owner: "you", updated_at: "2026-11-30T10:00:00Z" }],
    },
    ...overrides,
  };
}

const costRequests = (requests: RecordedRequest[]) =>
  requests.filter((request) => request.path === "/analytics/costs").map((request) => request.search.get("days"));

describe("cost analytics", () => {
  it("is in the navigation and shows totals, budget efficiency and the tables of the last 30 days", async () => {
    const { requests } = renderApp("/analytics", routes());
    expect(await screen.findByTestId("analytics-total")).toHaveTextContent("$0.0175");
    expect(screen.getByRole("link", { name: "Cost analytics" })).toHaveAttribute("href", "/analytics");
    expect(costRequests(requests)).toEqual(["30"]);
    expect(screen.getByRole("radio", { name: "Last 30 days" })).toBeChecked();
    expect(screen.getByTestId("analytics-today")).toHaveTextContent("$0.0125");
    expect(screen.getByTestId("analytics-jobs")).toHaveTextContent("3");
    expect(screen.getByTestId("analytics-cost-per-record")).toHaveTextContent("$0.00035");
    expect(screen.getByTestId("analytics-budget-used")).toHaveTextContent("0.7%");
    expect(screen.getByTestId("analytics-budget-used")).toHaveTextContent("$0.0175 of $2.50 over 3 finished jobs");
    expect(screen.getByTestId("analytics-budget-exceeded")).toHaveTextContent("1 of 3 (33.3%)");

    const models = screen.getAllByTestId("model-row");
    expect(models.map((tr) => within(tr).getAllByRole("cell")[0]?.textContent)).toEqual([
      "anthropic.claude-haiku",
      "Not split by model",
    ]);
    expect(within(models[0] as HTMLElement).getAllByRole("cell").map((td) => td.textContent)).toEqual([
      "anthropic.claude-haiku",
      "$0.0140",
      "80.0%",
      "3",
    ]);
    const templates = screen.getAllByTestId("template-row");
    // A template of the caller's is shown by name (with its id); others by id.
    expect(within(templates[0] as HTMLElement).getAllByRole("cell").map((td) => td.textContent)).toEqual([
      "Poem critique tpl-123",
      "$0.0125",
      "71.4%",
      "2",
      "40",
    ]);
    expect(within(templates[1] as HTMLElement).getAllByRole("cell")[0]).toHaveTextContent("poem-questions");
    expect(screen.getByTestId("analytics-by-day-chart")).toBeInTheDocument();
    expect(screen.getByTestId("analytics-by-week-chart")).toBeInTheDocument();
  });

  it("asks for the window the user picks and keeps it in the URL", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/analytics", routes());
    await screen.findByTestId("analytics-total");
    await user.click(screen.getByRole("radio", { name: "Last 7 days" }));
    await waitFor(() => expect(costRequests(requests)).toEqual(["30", "7"]));
    expect(window.location.search).toBe("?days=7");
    expect(await screen.findByText("Spend, last 7 days")).toBeInTheDocument();
    await user.click(screen.getByRole("radio", { name: "Last 90 days" }));
    await waitFor(() => expect(costRequests(requests)).toEqual(["30", "7", "90"]));
    expect(screen.getByRole("radio", { name: "Last 90 days" })).toBeChecked();
  });

  it("opens on the window in the URL, and on 30 days for one it does not offer", async () => {
    const first = renderApp("/analytics?days=90", routes());
    expect(await screen.findByText("Spend, last 90 days")).toBeInTheDocument();
    expect(costRequests(first.requests)).toEqual(["90"]);
    first.unmount();
    const second = renderApp("/analytics?days=14", routes());
    expect(await screen.findByText("Spend, last 30 days")).toBeInTheDocument();
    expect(costRequests(second.requests)).toEqual(["30"]);
  });

  it("says so when no job was submitted in the window", async () => {
    renderApp("/analytics", routes({ "GET /analytics/costs": report(30, { jobs: 0, spend_usd: 0, by_model: [], by_template: [] }) }));
    expect(await screen.findByTestId("analytics-empty")).toHaveTextContent("No jobs in the last 30 days.");
    expect(screen.queryByTestId("analytics-total")).not.toBeInTheDocument();
  });

  it("shows the API's refusal", async () => {
    renderApp("/analytics", routes({ "GET /analytics/costs": json({ message: "the table is busy" }, 429) }));
    expect(await screen.findByRole("alert")).toHaveTextContent("the table is busy");
  });
});

describe("analytics helpers", () => {
  it("reads the window from the URL", () => {
    expect(windowFrom(new URLSearchParams("days=7"))).toBe(7);
    expect(windowFrom(new URLSearchParams("days=90"))).toBe(90);
    expect(windowFrom(new URLSearchParams("days=31"))).toBe(30);
    expect(windowFrom(new URLSearchParams(""))).toBe(30);
  });

  it("labels days in UTC and shares as percentages", () => {
    expect(dayLabel("2026-12-01")).toMatch(/Dec\s*1|1\s*Dec/);
    expect(dayLabel("not a day")).toBe("not a day");
    expect(formatShare(0.5)).toBe("50.0%");
    expect(formatShare(null)).toBe("—");
  });
});
