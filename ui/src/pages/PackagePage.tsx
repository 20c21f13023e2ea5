import { Loading } from '../components/Loading';
import { bytes, publishName } from '../format';
import { href } from '../router';
import { field, fields, parseRelations, RELATION_FIELDS, REVERSE_FIELDS } from '../relations';
import type { PackageHit, Publish } from '../types';
import { useApi } from '../use-api';
import { packageHref } from './Search';

/** A value of the filter language, quoted where it has anything but name characters. */
const lit = (s: string): string => (/^[A-Za-z0-9.+~:_-]+$/.test(s) ? s : `"${s.replace(/["\\]/g, '\\$&')}"`);

function Relations({ value }: { value: string }) {
  return (
    <ul class="relations">
      {parseRelations(value).map((group, i) => (
        <li key={i}>
          {group.map((alt, j) => (
            <>
              {j > 0 && ' | '}
              <a href={href(`packages/${encodeURIComponent(alt.name)}`)}>{alt.text}</a>
            </>
          ))}
        </li>
      ))}
    </ul>
  );
}

function ReverseDependencies({ name }: { name: string }) {
  // A glob finds candidates; the exact names are checked here (the glob also matches "libfoo10").
  const q = REVERSE_FIELDS.map((f) => `${f} (% *${name}*)`).join(' | ');
  const hits = useApi<PackageHit[]>(`/api/packages?q=${encodeURIComponent(q)}`);
  return (
    <Loading loaded={hits}>
      {(list) => {
        const rdeps = list.filter((p) => REVERSE_FIELDS.some((f) => parseRelations(field(p.stanza, f) ?? '').some((g) => g.some((a) => a.name === name))));
        return rdeps.length === 0 ? (
          <p>No package here depends on {name}.</p>
        ) : (
          <ul>
            {rdeps.map((p) => (
              <li key={`${p.name}/${p.version}/${p.architecture}`}>
                <a href={packageHref(p)}>
                  {p.name} {p.version} ({p.architecture})
                </a>
              </li>
            ))}
          </ul>
        );
      }}
    </Loading>
  );
}

function Details({ p, others }: { p: PackageHit; others: readonly PackageHit[] }) {
  const publishes = useApi<Publish[]>('/api/publish');
  const shownBy = publishes.state === 'ok' ? publishes.value.filter((pub) => p.locations.some((l) => l.kind === pub.source.kind && l.name === pub.source.name)) : [];
  const all = fields(p.stanza);
  return (
    <>
      <h1 tabIndex={-1}>
        {p.name} <span class="muted">{p.version}</span>
      </h1>
      {others.length > 0 && (
        <nav aria-label="Other matches">
          Also: {others.map((o, i) => (
            <>
              {i > 0 && ', '}
              <a href={packageHref(o)}>
                {o.name} {o.version} ({o.architecture})
              </a>
            </>
          ))}
        </nav>
      )}
      <section aria-labelledby="fields-h">
        <h2 id="fields-h">Fields</h2>
        <dl class="fields">
          {all.map(([k, v]) => (
            <>
              <dt>{k}</dt>
              <dd>{RELATION_FIELDS.includes(k) ? <Relations value={v} /> : k === 'Size' ? `${v} (${bytes(Number(v))})` : <span class="pre">{v}</span>}</dd>
            </>
          ))}
        </dl>
      </section>
      <section aria-labelledby="where-h">
        <h2 id="where-h">Where it is</h2>
        <ul>
          {p.locations.map((l) => (
            <li key={`${l.kind}/${l.name}`}>
              {l.kind} <strong>{l.name}</strong> ({l.component}), version {p.version}
            </li>
          ))}
          {shownBy.map((pub) => (
            <li key={`pub ${pub.prefix}/${pub.dist}`}>
              published at <strong>{publishName(pub.prefix, pub.dist)}</strong> (from {pub.source.kind} {pub.source.name})
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="rdeps-h">
        <h2 id="rdeps-h">Reverse dependencies</h2>
        <ReverseDependencies name={p.name} />
      </section>
    </>
  );
}

/** `packages/NAME[/VERSION/ARCH]`: without a version, whatever NAME names (a Provides too). */
export function PackagePage({ name, version, arch }: { name: string; version?: string; arch?: string }) {
  const q = version !== undefined && arch !== undefined ? `Name (= ${lit(name)}), $Version (= ${lit(version)}), $Architecture (= ${lit(arch)})` : lit(name);
  const hits = useApi<PackageHit[]>(`/api/packages?q=${encodeURIComponent(q)}`);
  return (
    <Loading loaded={hits}>
      {(list) => {
        const [first, ...rest] = [...list.filter((p) => p.name === name), ...list.filter((p) => p.name !== name)];
        if (first === undefined)
          return (
            <>
              <h1 tabIndex={-1}>{name}</h1>
              <p>No package here is or provides {name}{version ? ` ${version}` : ''}.</p>
            </>
          );
        return <Details p={first} others={rest} />;
      }}
    </Loading>
  );
}
