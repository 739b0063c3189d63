import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { job, renderApp, type RecordedRequest } from "../test/helpers";

describe("jobs list", () => {
  it("shows the caller's allowance: spend today and this month, jobs waiting, per-job limits", async () => {
    renderApp("/", {
      "GET /jobs": { jobs: [], next_cursor: null },
      "GET /quotas": {
        day: "2026-12-08",
        month: "2026-12",
        spend_per_day_usd: { limit: 250, used: 12.5 },
        spend_per_month_usd: { limit: 1000, used: 40 },
        jobs_queued: { limit: 20, used: 3 },
        records_per_job: { limit: 100000, used: null },
        budget_per_job_usd: { limit: 100, used: null },
      },
    });
    const allowance = await screen.findByTestId("allowance");
    expect(allowance).toHaveTextContent("Spend today (2026-12-08, UTC): $12.50 of $250.00");
    expect(allowance).toHaveTextContent("Spend this month: $40.00 of $1000.00");
    expect(allowance).toHaveTextContent("Jobs waiting: 3 of 20");
    expect(allowance).toHaveTextContent(`Per job: up to ${(100000).toLocaleString()} records and a $100.00 budget`);
  });

  it("shows each job as a row with its status, progress and cost, linking to its page", async () => {
    renderApp("/", {
      "GET /jobs": {
        jobs: [
          job({ job_id: "j2", name: "Second", status: "RUNNING", records_generated: 5, record_count: 12, cost_usd: 0.0021, budget_usd: 1 }),
          job({ job_id: "j1", name: "First", status: "COMPLETED", records_generated: 12, record_count: 12 }),
        ],
        next_cursor: null,
      },
    });
    const rows = await screen.findAllByTestId("job-row");
    expect(rows).toHaveLength(2);
    const [second, first] = rows as [HTMLElement, HTMLElement];
    expect(within(second).getByRole("link", { name: "Second" })).toHaveAttribute("href", "/jobs/j2");
    expect(within(second).getByTestId("job-status")).toHaveTextContent("RUNNING");
    expect(within(second).getByText("5 / 12")).toBeInTheDocument();
    expect(second).toHaveTextContent("$0.0021 / $1.00");
    expect(within(first).getByTestId("job-status")).toHaveTextContent("COMPLETED");
    expect(screen.getByText(/1 active · refreshing every 2 s/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("loads the next page with the cursor", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/", {
      "GET /jobs": (r: RecordedRequest) =>
        r.search.get("cursor") === "next-1"
          ? { jobs: [job({ job_id: "old", name: "Older", status: "CANCELLED" })], next_cursor: null }
          : { jobs: [job({ job_id: "new", name: "Newer", status: "COMPLETED" })], next_cursor: "next-1" },
    });
    await user.click(await screen.findByRole("button", { name: "Load more" }));
    await waitFor(() => expect(screen.getAllByTestId("job-row")).toHaveLength(2));
    expect(screen.getAllByTestId("job-row").map((row) => within(row).getByRole("link").textContent)).toEqual(["Newer", "Older"]);
    expect(requests.filter((r) => r.path === "/jobs").map((r) => r.search.get("cursor"))).toEqual([null, "next-1"]);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("has a way to start when there are no jobs", async () => {
    renderApp("/", { "GET /jobs": { jobs: [], next_cursor: null } });
    expect(await screen.findByText("No jobs yet.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Create your first job" })).toHaveAttribute("href", "/jobs/new");
  });
});
