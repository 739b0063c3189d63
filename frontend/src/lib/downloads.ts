// A job's export files, the three datasets first, then manifests and partitions.

export const DATASETS = [
  { key: "dataset.jsonl", label: "JSONL", description: "Every record whole, one per line" },
  { key: "dataset.parquet", label: "Parquet", description: "Columnar, nested fields as structs" },
  { key: "dataset.csv", label: "CSV", description: "Nested fields as dotted columns" },
] as const;

/** The chat export, listed among the datasets only when the job chose a chat format. */
export const CHAT_DATASET = {
  key: "dataset.chat.jsonl",
  label: "Chat",
  description: "One conversation per record, in the job's chat format",
} as const;

export interface DownloadGroups {
  datasets: { key: string; label: string; description: string; url: string | null }[];
  manifests: [string, string][];
  partitions: [string, string][];
  other: [string, string][];
}

export function groupDownloads(downloads: Record<string, string>): DownloadGroups {
  const entries = Object.entries(downloads).sort(([a], [b]) => a.localeCompare(b));
  const datasetKeys: string[] = [...DATASETS.map((d) => d.key), CHAT_DATASET.key];
  return {
    datasets: [
      ...DATASETS.map((d) => ({ ...d, url: downloads[d.key] ?? null })),
      ...(downloads[CHAT_DATASET.key] ? [{ ...CHAT_DATASET, url: downloads[CHAT_DATASET.key]! }] : []),
    ],
    manifests: entries.filter(([key]) => key.startsWith("manifests/")),
    partitions: entries.filter(([key]) => key.startsWith("partitioned/")),
    other: entries.filter(
      ([key]) => !datasetKeys.includes(key) && !key.startsWith("manifests/") && !key.startsWith("partitioned/"),
    ),
  };
}
