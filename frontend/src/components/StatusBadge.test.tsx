import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge, statusTone } from "./StatusBadge";

describe("StatusBadge", () => {
  it.each([
    ["QUEUED", "pending"],
    ["RUNNING", "progress"],
    ["EXPORTING", "progress"],
    ["COMPLETED", "success"],
    ["FAILED", "error"],
    ["CANCELLED", "stopped"],
    ["BUDGET_EXCEEDED", "warning"],
  ])("shows %s exactly, in the %s tone", (status, tone) => {
    render(<StatusBadge status={status} />);
    const badge = screen.getByTestId("job-status");
    expect(badge).toHaveTextContent(new RegExp(`^${status}$`));
    expect(badge).toHaveClass(`badge-${tone}`);
  });

  it("shows an unknown status as it is, in a neutral tone", () => {
    expect(statusTone("PAUSED")).toBe("stopped");
    render(<StatusBadge status="PAUSED" />);
    expect(screen.getByTestId("job-status")).toHaveTextContent("PAUSED");
  });
});

describe("ProgressBar", () => {
  it("reads done / total and fills in proportion", () => {
    const { container } = render(<ProgressBar done={3} total={12} testId="job-progress" />);
    expect(screen.getByTestId("job-progress")).toHaveTextContent(/^3 \/ 12$/);
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "3");
    expect(container.querySelector<HTMLElement>(".progress-fill")!.style.width).toBe("25%");
  });
});
