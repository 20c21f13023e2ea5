import { useState } from 'preact/hooks';
import { DataTable } from '../components/DataTable';
import { Loading } from '../components/Loading';
import { bytes } from '../format';
import { href, navigate } from '../router';
import type { PackageHit } from '../types';
import { useApi } from '../use-api';

export function packageHref(p: { name: string; version: string; architecture: string }): string {
  return href(`packages/${encodeURIComponent(p.name)}/${encodeURIComponent(p.version)}/${encodeURIComponent(p.architecture)}`);
}

/** The query with a caret under the column a syntax error names, as the CLI prints it. */
function SyntaxError({ query, column, message }: { query: string; column: number; message: string }) {
  return (
    <div role="alert" class="error-box syntax">
      <p>
        <code>DEBSTASH_E_QUERY_SYNTAX</code>: {message}
      </p>
      <pre aria-hidden="true">
        {query}
        {'\n'}
        {' '.repeat(Math.max(0, column - 1))}^
      </pre>
    </div>
  );
}

export function Search({ q }: { q: string }) {
  const [text, setText] = useState(q);
  const results = useApi<PackageHit[]>(q === '' ? undefined : `/api/packages?q=${encodeURIComponent(q)}`);
  return (
    <>
      <h1 tabIndex={-1}>Packages</h1>
      <form
        role="search"
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(href('search', { q: text }));
        }}
      >
        <label for="q">Filter query</label>
        <input id="q" name="q" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="nginx | Priority (required)" aria-describedby="q-help" autoComplete="off" spellcheck={false} />
        <button type="submit">Search</button>
        <p id="q-help" class="muted">
          aptly's filter language: <code>|</code> or, <code>,</code> and, <code>!</code> not, <code>Field (op value)</code>, <code>name (&gt;= 1.0)</code>.
        </p>
      </form>
      {q !== '' &&
        (results.state === 'error' && results.error.code === 'DEBSTASH_E_QUERY_SYNTAX' ? (
          <SyntaxError query={q} column={Number(results.error.details.column ?? 1)} message={results.error.message} />
        ) : (
          <Loading loaded={results}>{(hits) => <Results q={q} hits={hits} />}</Loading>
        ))}
    </>
  );
}

function Results({ q, hits }: { q: string; hits: readonly PackageHit[] }) {
  return (
    <>
      <p role="status">
        {hits.length} package{hits.length === 1 ? '' : 's'} match <code>{q}</code>
      </p>
      {hits.length > 0 && (
        <DataTable label="Search results" columns={[{ label: 'Package' }, { label: 'Version' }, { label: 'Arch' }, { label: 'Size', num: true }, { label: 'In' }]}>
          {hits.map((p) => (
            <tr key={`${p.name}/${p.version}/${p.architecture}`}>
              <td>
                <a href={packageHref(p)}>{p.name}</a>
              </td>
              <td>{p.version}</td>
              <td>{p.architecture}</td>
              <td class="num">{bytes(p.size)}</td>
              <td class="wrap">{p.locations.map((l) => `${l.kind} ${l.name}`).join(', ')}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}
