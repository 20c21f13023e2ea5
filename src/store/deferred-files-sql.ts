import type { SqlDialect } from './migrations.js';

/**
 * The two questions about on-demand files (Store.onDemandSource, Store.deferredFiles) in either
 * dialect: the policy lives in the mirror's config (JSON text), absent meaning `immediate`.
 */
export function deferredFilesSql(dialect: SqlDialect): { readonly source: string; readonly files: string } {
  const field = (name: string): string => (dialect === 'sqlite' ? `json_extract(m.config, '$.${name}')` : `(m.config::jsonb ->> '${name}')`);
  const policy = field('policy');
  const deferred = `${policy} IN ('on-demand', 'cache-on-serve')`;
  const listed = `FROM package_files f JOIN mirror_packages mp ON mp.package_id = f.package_id JOIN mirrors m ON m.id = mp.mirror_id`;
  return {
    source: `SELECT m.name AS mirror, ${field('url')} AS url, f.path AS path, f.sha256 AS sha256, f.size AS size, ${policy} AS policy
      ${listed}
      WHERE f.sha256 = ${dialect === 'sqlite' ? '?' : '$1'} AND ${deferred}
      ORDER BY m.name LIMIT 1`,
    // Grouped by file: deferred only when every mirror listing it is, and no repo does.
    files: `SELECT f.sha256 AS sha256, MAX(CASE WHEN ${policy} = 'cache-on-serve' THEN 1 ELSE 0 END) AS kept
      ${listed}
      GROUP BY f.sha256
      HAVING MIN(CASE WHEN ${deferred} THEN 1 ELSE 0 END) = 1
        AND f.sha256 NOT IN (SELECT rf.sha256 FROM package_files rf JOIN repo_packages rp ON rp.package_id = rf.package_id)`,
  };
}
