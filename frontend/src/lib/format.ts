// Numbers, money, durations and dates as the pages show them.

export function formatProgress(done: number | null | undefined, total: number | null | undefined): string {
  return `${done ?? 0} / ${total ?? 0}`;
}

/** Percent done, clamped to 0..100 (a job can report more records than asked while exporting). */
export function progressPercent(done: number | null | undefined, total: number | null | undefined): number {
  if (!total || total <= 0) return 0;
  return Math.max(0, Math.min(100, (100 * (done ?? 0)) / total));
}

/**
 * Dollars: cents for a dollar or more; four decimals for cents; up to six (no trailing zeros
 * past the fourth) for the fractions of a cent that small jobs cost.
 */
export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const abs = Math.abs(value);
  if (abs === 0 || abs >= 1) return `$${value.toFixed(2)}`;
  if (abs >= 0.01) return `$${value.toFixed(4)}`;
  if (abs < 0.000001) return value < 0 ? "-<$0.000001" : "<$0.000001";
  return `$${value.toFixed(6).replace(/(\.\d{4}\d*?)0+$/, "$1")}`;
}

/** Remaining time: "—" when unknown, then seconds, minutes and seconds, or hours and minutes. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  if (total < 3600) {
    const minutes = Math.floor(total / 60);
    const rest = total % 60;
    return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(total / 3600);
  const minutes = Math.round((total % 3600) / 60);
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}

export function formatRate(recordsPerSecond: number | null | undefined): string {
  if (!recordsPerSecond || recordsPerSecond <= 0) return "—";
  if (recordsPerSecond >= 10) return `${recordsPerSecond.toFixed(0)} records/s`;
  if (recordsPerSecond >= 1) return `${recordsPerSecond.toFixed(1)} records/s`;
  return `${recordsPerSecond.toFixed(2)} records/s`;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : dateTime.format(date);
}

export function formatTime(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleTimeString();
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
