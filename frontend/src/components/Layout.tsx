// The signed-in shell: a console-style top bar (product, user, sign out), side navigation, content.
import type { ReactNode } from "react";
import { Link, NavLink } from "react-router-dom";
import { useAuth } from "../auth/AuthContext";

export function Layout({ children }: { children: ReactNode }) {
  const { user, signOut } = useAuth();
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">◆</span> Plot Palette
        </Link>
        <span className="topbar-spacer" />
        <span className="topbar-user" data-testid="user-email">
          {user?.email}
        </span>
        <button type="button" className="btn topbar-btn" onClick={signOut}>
          Sign out
        </button>
      </header>
      <div className="body">
        <nav className="sidenav" aria-label="Main">
          <div className="sidenav-title">Synthetic data</div>
          <NavLink to="/" end>
            Jobs
          </NavLink>
          <NavLink to="/jobs/new">New job</NavLink>
          <NavLink to="/batches">Batches</NavLink>
          <NavLink to="/templates">Templates</NavLink>
          <NavLink to="/gallery">Gallery</NavLink>
          <NavLink to="/analytics">Cost analytics</NavLink>
          <NavLink to="/settings/notifications">Notifications</NavLink>
        </nav>
        <main className="content">{children}</main>
      </div>
    </div>
  );
}

/** A page's breadcrumbs: its parent page, then itself. */
export function Crumbs({ to, parent, current }: { to: string; parent: ReactNode; current: ReactNode }) {
  return (
    <>
      <Link to={to}>{parent}</Link> <span aria-hidden="true">›</span> <span>{current}</span>
    </>
  );
}

export function PageHeader({ title, description, actions, breadcrumbs }: { title: ReactNode; description?: ReactNode; actions?: ReactNode; breadcrumbs?: ReactNode }) {
  return (
    <div className="page-header">
      {breadcrumbs && <div className="breadcrumbs">{breadcrumbs}</div>}
      <div className="page-header-row">
        <h1>{title}</h1>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
      {description && <p className="muted page-description">{description}</p>}
    </div>
  );
}

export function Panel({ title, actions, children, className, testId }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; testId?: string }) {
  return (
    <section className={`panel${className ? ` ${className}` : ""}`} data-testid={testId}>
      {(title || actions) && (
        <header className="panel-header">
          {title && <h2>{title}</h2>}
          {actions && <div className="panel-actions">{actions}</div>}
        </header>
      )}
      <div className="panel-body">{children}</div>
    </section>
  );
}
