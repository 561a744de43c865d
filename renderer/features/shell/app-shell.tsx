// The frame around every page: skip link, header with the rehearsal badge, navigation, theme
// toggle, the page's one scroll container holding the <main> landmark, and below it the tray the
// notices live in (so they take their own room instead of covering the page).

import type { ReactNode } from 'react';
import { useAccounts } from '../accounts/accounts-store';
import { usePolicies } from '../policies/policies-store';
import { usePolicyDetails } from '../policy-details/policy-details-store';
import { useApp, type Route, type ThemeChoice } from './app-store';
import { resolveTheme } from './theme';
import { ReadOnlyBanner } from './read-only-banner';
import { OfflineBadge } from '../disaster-room/connectivity-indicator';

const NAV: { label: string; route: Route; match: Route['name'][] }[] = [
  { label: 'Policies', route: { name: 'policies' }, match: ['policies', 'policy'] },
  { label: 'Accounts', route: { name: 'accounts' }, match: ['accounts'] },
  { label: 'Audit log', route: { name: 'audit' }, match: ['audit'] },
  { label: 'Workspace', route: { name: 'workspace' }, match: ['workspace'] },
  { label: 'Settings', route: { name: 'settings' }, match: ['settings'] },
];

function useRehearsal(): boolean {
  const policies = usePolicies((s) => s.policies);
  const accounts = useAccounts((s) => s.accounts);
  const policy = usePolicyDetails((s) => s.policy);
  return !!(policies?.some((p) => p.simulated) || accounts?.some((a) => a.simulated) || policy?.simulated);
}

export function AppShell({ children, tray }: { children: ReactNode; tray?: ReactNode }) {
  const route = useApp((s) => s.route);
  const navigate = useApp((s) => s.navigate);
  const rehearsal = useRehearsal();
  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}>
        Skip to main content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Failover Console</span>
        </div>
        {rehearsal && (
          <span className="rehearsal-badge" role="status">
            <span aria-hidden="true" className="rehearsal-glyph">
              ◇
            </span>
            Rehearsal — simulated cloud
          </span>
        )}
        <nav className="nav" aria-label="Main">
          <ul>
            {NAV.map((item) => {
              const current = item.match.includes(route.name);
              return (
                <li key={item.label}>
                  <a
                    href={`#/${item.route.name}`}
                    aria-current={current ? 'page' : undefined}
                    className={current ? 'nav-link current' : 'nav-link'}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(item.route);
                    }}
                  >
                    {item.label}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        <span className="topbar-spacer" />
        <OfflineBadge />
        <ThemeToggle />
      </header>
      <div className="page-scroll" data-testid="page-scroll">
        <main id="main" tabIndex={-1} className="main">
          <ReadOnlyBanner />
          {children}
        </main>
      </div>
      {tray}
    </div>
  );
}

const NEXT_THEME: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
const THEME_LABEL: Record<ThemeChoice, string> = { system: 'System', light: 'Light', dark: 'Dark' };

function ThemeToggle() {
  const theme = useApp((s) => s.theme);
  const setTheme = useApp((s) => s.setTheme);
  const shown = resolveTheme(theme);
  return (
    <button
      type="button"
      className="btn btn-ghost theme-toggle"
      onClick={() => setTheme(NEXT_THEME[theme])}
      title="Switch between system, light and dark theme"
    >
      <span aria-hidden="true">{shown === 'dark' ? '☾' : '☀'} </span>
      Theme: {THEME_LABEL[theme]}
    </button>
  );
}
