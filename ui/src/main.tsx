import { render } from 'preact';
import { useState } from 'preact/hooks';
import { TokenForm } from './components/TokenForm';
import { ClientPage } from './pages/ClientPage';
import { Dashboard } from './pages/Dashboard';
import { DiffPage } from './pages/DiffPage';
import { PackagePage } from './pages/PackagePage';
import { PublishPage } from './pages/PublishPage';
import { Search } from './pages/Search';
import { href, interceptLinks, useLocation } from './router';
import './styles.css';

function Page({ path, query }: { path: string; query: URLSearchParams }) {
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  const prefix = query.get('prefix') ?? '';
  switch (parts[0]) {
    case undefined:
      return <Dashboard />;
    case 'search':
      return <Search key={query.get('q') ?? ''} q={query.get('q') ?? ''} />;
    case 'packages':
      return <PackagePage key={path} name={parts[1] ?? ''} {...(parts.length >= 4 ? { version: parts[2], arch: parts[3] } : {})} />;
    case 'diff':
      return <DiffPage key={query.toString()} a={query.get('a') ?? ''} b={query.get('b') ?? ''} />;
    case 'publish':
      return <PublishPage key={path + prefix} dist={parts[1] ?? ''} prefix={prefix} />;
    case 'client':
      return <ClientPage key={path + prefix} dist={parts[1] ?? ''} prefix={prefix} />;
    default:
      return (
        <>
          <h1 tabIndex={-1}>Not found</h1>
          <p>
            No page here. <a href={href('')}>Go to the dashboard</a>.
          </p>
        </>
      );
  }
}

const NAV: readonly [string, string][] = [
  ['', 'Dashboard'],
  ['search', 'Packages'],
  ['diff', 'Snapshot diff'],
];

function App() {
  const loc = useLocation();
  // A new token re-renders every page, so each one asks the API again.
  const [session, setSession] = useState(0);
  const section = loc.path.split('/')[0] ?? '';
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <a class="brand" href={href('')}>
          debstash
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([to, label]) => (
              <li key={to}>
                <a href={href(to)} aria-current={section === to || (to === 'search' && section === 'packages') ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <TokenForm onChange={() => setSession((s) => s + 1)} />
      </header>
      <main id="main" key={session}>
        <Page path={loc.path} query={loc.query} />
      </main>
    </>
  );
}

interceptLinks();
render(<App />, document.getElementById('app') as HTMLElement);
