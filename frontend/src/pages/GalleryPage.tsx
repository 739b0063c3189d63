// `/gallery`: templates other users published. Search by words of the name, description or tags,
// sort by newest or most forked, read one, and fork it into your own templates (then open it).
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import { queryKeys, refreshAfterWrite } from "../api/hooks";
import { templateKeys, templatesApi, useGallery, type GalleryEntry, type GallerySort } from "../api/templates";
import { useApi } from "../auth/AuthContext";
import { Alert } from "../components/Alert";
import { PageHeader, Panel } from "../components/Layout";
import { formatDateTime } from "../lib/format";

const SEARCH_DELAY_MS = 300;

export function GalleryPage() {
  const [typed, setTyped] = useState("");
  const [q, setQ] = useState("");
  const [sort, setSort] = useState<GallerySort>("recent");
  const gallery = useGallery(q, sort);

  // search as the user types, once they pause (one request per pause, not per key)
  useEffect(() => {
    const timer = setTimeout(() => setQ(typed.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed]);

  return (
    <>
      <PageHeader
        title="Gallery"
        description="Templates other users published. Fork one to get your own copy (version 1) that you can edit; later changes by its author do not reach your copy."
      />
      <Panel>
        <form
          className="gallery-filters"
          role="search"
          onSubmit={(event) => {
            event.preventDefault();
            setQ(typed.trim());
          }}
        >
          <div className="field grow">
            <label htmlFor="gallery-search">Search</label>
            <input
              id="gallery-search"
              type="search"
              placeholder="Words in the name, description or tags"
              value={typed}
              maxLength={100}
              onChange={(event) => setTyped(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="gallery-sort">Sort by</label>
            <select id="gallery-sort" value={sort} onChange={(event) => setSort(event.target.value as GallerySort)}>
              <option value="recent">Newest</option>
              <option value="forks">Most forked</option>
            </select>
          </div>
        </form>
        {gallery.error && <Alert kind="error">{gallery.error.message}</Alert>}
        {gallery.isPending ? (
          <p className="muted">Loading the gallery…</p>
        ) : gallery.entries.length === 0 ? (
          <div className="empty">
            <p>{q ? `No published template matches “${q}”.` : "Nobody has published a template yet."}</p>
          </div>
        ) : (
          <ul className="gallery-grid" aria-label="Published templates">
            {gallery.entries.map((entry) => (
              <GalleryCard key={entry.gallery_id} entry={entry} />
            ))}
          </ul>
        )}
        {gallery.hasNextPage && (
          <div className="form-actions">
            <button type="button" className="btn" disabled={gallery.isFetchingNextPage} onClick={() => void gallery.fetchNextPage()}>
              {gallery.isFetchingNextPage ? "Loading…" : "Load more"}
            </button>
          </div>
        )}
      </Panel>
    </>
  );
}

function GalleryCard({ entry }: { entry: GalleryEntry }) {
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [forking, setForking] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function fork() {
    setForking(true);
    setError(null);
    try {
      const forked = await templatesApi.fork(api, entry.gallery_id);
      void refreshAfterWrite(queryClient, queryKeys.templates);
      void refreshAfterWrite(queryClient, templateKeys.galleryAll);
      navigate(`/templates?template=${encodeURIComponent(forked.template_id)}`);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      setForking(false);
    }
  }

  return (
    <li className="gallery-card" data-testid="gallery-card">
      <h3 className="gallery-name">{entry.name}</h3>
      <p className="gallery-description">{entry.description}</p>
      {entry.tags.length > 0 && (
        <ul className="tag-list" aria-label="Tags">
          {entry.tags.map((tag) => (
            <li key={tag} className="badge badge-info">
              {tag}
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">
        {entry.author ? `by ${entry.author} · ` : ""}
        {entry.steps} {entry.steps === 1 ? "step" : "steps"} · published {formatDateTime(entry.published_at)}
      </p>
      <div className="gallery-actions">
        <span className="small" data-testid="fork-count">
          {entry.forks} {entry.forks === 1 ? "fork" : "forks"}
        </span>
        <button type="button" className="btn primary small" disabled={forking} onClick={() => void fork()} aria-label={`Fork ${entry.name}`}>
          {forking ? "Forking…" : "Fork"}
        </button>
      </div>
      {error && <Alert kind="error">{error}</Alert>}
    </li>
  );
}
