import { useEffect, useState } from 'preact/hooks';
import { prefixQuery } from '../api';
import { CopyButton } from '../components/CopyButton';
import { Loading } from '../components/Loading';
import { publishName } from '../format';
import type { Publish } from '../types';
import { useApi } from '../use-api';

/** The stanza comes from /client/DIST.sources (public, as apt clients fetch it). */
function useSources(dist: string, prefix: string): string | undefined {
  const [text, setText] = useState<string>();
  useEffect(() => {
    fetch(`/client/${prefix === '' ? '' : `${prefix}/`}${encodeURIComponent(dist)}.sources`).then(
      async (r) => setText(r.ok ? await r.text() : ''),
      () => setText(''),
    );
  }, [dist, prefix]);
  return text;
}

export function ClientPage({ dist, prefix }: { dist: string; prefix: string }) {
  const pub = useApi<Publish>(`/api/publish/${encodeURIComponent(dist)}${prefixQuery(prefix)}`);
  const sources = useSources(dist, prefix);
  const file = `/etc/apt/sources.list.d/debstash-${(prefix === '' ? '' : `${prefix.replace(/\//g, '-')}-`) + dist}.sources`;
  const url = `${location.origin}/client/${prefix === '' ? '' : `${prefix}/`}${dist}.sources`;
  const commands = `sudo curl -fsSL -o ${file} ${url}\nsudo apt-get update`;
  return (
    <>
      <h1 tabIndex={-1}>Client setup for {publishName(prefix, dist)}</h1>
      <section aria-labelledby="stanza-h">
        <h2 id="stanza-h">The sources file</h2>
        <p>
          Save this as <code>{file}</code>. The signing key is inside it (<code>Signed-By</code>): no <code>apt-key</code>, no separate key file.
        </p>
        {sources === undefined ? (
          <p role="status">Loading…</p>
        ) : sources === '' ? (
          <p role="alert">No client configuration for this distribution.</p>
        ) : (
          <>
            <pre class="code" tabIndex={0} aria-label="Sources stanza" data-testid="stanza">
              {sources}
            </pre>
            <CopyButton text={sources} label="Copy stanza" />
          </>
        )}
      </section>
      <section aria-labelledby="key-h">
        <h2 id="key-h">Signing key</h2>
        <Loading loaded={pub}>
          {(p) => (
            <p>
              Fingerprint: <code class="fpr" data-testid="fingerprint">{p.keyFingerprint ?? '–'}</code> (also at <a href="/key.asc">/key.asc</a>)
            </p>
          )}
        </Loading>
      </section>
      <section aria-labelledby="cmd-h">
        <h2 id="cmd-h">On the client</h2>
        <pre class="code" tabIndex={0} aria-label="Client commands">
          {commands}
        </pre>
        <CopyButton text={commands} label="Copy commands" />
      </section>
    </>
  );
}
