// Template features beyond editing: YAML export/import, version diffs and restore, and the
// public gallery (publish, search, fork). Calls go through ApiClient.request.
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useApi } from "../auth/AuthContext";
import { query, type ApiClient } from "./client";
import type { Template, TemplateDocumentBody } from "./types";

export interface TemplateYaml {
  template_id: string;
  version: number;
  yaml: string;
}

export interface TemplateDiff {
  template_id: string;
  from_version: number;
  to_version: number;
  diff: string;
}

export interface GalleryEntry {
  gallery_id: string;
  name: string;
  description: string;
  tags: string[];
  author: string | null;
  forks: number;
  published_at: string;
  steps: number;
}

export interface GalleryTemplate extends GalleryEntry {
  document: TemplateDocumentBody;
}

export interface GalleryPage {
  entries: GalleryEntry[];
  next_cursor: string | null;
}

export type GallerySort = "recent" | "forks";

export interface PublishRequest {
  version: number;
  description: string;
  tags: string[];
  display_name?: string;
}

const id = encodeURIComponent;

export const templatesApi = {
  exportYaml: (api: ApiClient, templateId: string, version?: number) =>
    api.request<TemplateYaml>("GET", `/templates/${id(templateId)}/export${query({ version })}`),
  importYaml: (api: ApiClient, yaml: string) => api.request<Template>("POST", "/templates/import", { yaml }),
  diff: (api: ApiClient, templateId: string, from: number, to: number) =>
    api.request<TemplateDiff>("GET", `/templates/${id(templateId)}/diff${query({ from, to })}`),
  restore: (api: ApiClient, templateId: string, version: number) =>
    api.request<Template>("POST", `/templates/${id(templateId)}/versions/${version}/restore`),
  publish: (api: ApiClient, templateId: string, body: PublishRequest) =>
    api.request<GalleryTemplate>("POST", `/templates/${id(templateId)}/publish`, body),
  search: (api: ApiClient, q: string, sort: GallerySort, cursor?: string | null) =>
    api.request<GalleryPage>("GET", `/gallery${query({ q, sort, cursor })}`),
  get: (api: ApiClient, galleryId: string) => api.request<GalleryTemplate>("GET", `/gallery/${id(galleryId)}`),
  fork: (api: ApiClient, galleryId: string) => api.request<Template>("POST", `/gallery/${id(galleryId)}/fork`),
  unpublish: (api: ApiClient, galleryId: string) => api.request<void>("DELETE", `/gallery/${id(galleryId)}`),
};

export const templateKeys = {
  diff: (templateId: string, from: number, to: number) => ["template-diff", templateId, from, to] as const,
  gallery: (q: string, sort: GallerySort) => ["gallery", q, sort] as const,
  galleryAll: ["gallery"] as const,
};

export function useTemplateDiff(templateId: string | null, from: number | null, to: number | null) {
  const api = useApi();
  return useQuery({
    queryKey: templateKeys.diff(templateId ?? "", from ?? 0, to ?? 0),
    queryFn: () => templatesApi.diff(api, templateId as string, from as number, to as number),
    enabled: templateId !== null && from !== null && to !== null,
  });
}

/** Published templates matching `q`, a page at a time ("Load more" follows the API cursor). */
export function useGallery(q: string, sort: GallerySort) {
  const api = useApi();
  const result = useInfiniteQuery({
    queryKey: templateKeys.gallery(q, sort),
    queryFn: ({ pageParam }: { pageParam: string | null }) => templatesApi.search(api, q, sort, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last: GalleryPage) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  return { ...result, entries: (result.data?.pages ?? []).flatMap((page) => page.entries) };
}

/** One line of a unified diff, classified for colouring. */
export function diffLineKind(line: string): "add" | "remove" | "hunk" | "file" | "same" {
  if (line.startsWith("+++") || line.startsWith("---")) return "file";
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "remove";
  return "same";
}

/** Offer the text as a file download (an object URL, revoked once clicked). */
export function downloadText(filename: string, text: string, type = "application/yaml"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
