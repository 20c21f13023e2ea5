import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { projectRoot } from '../helpers/project-root.js';
import { type UiFixture, uiFixture } from './ui-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(projectRoot, 'test-artifacts', 'web-ui');
const skip = existsSync(CHROMIUM) ? (existsSync(join(projectRoot, 'dist/ui/index.html')) ? false : 'the UI is not built (run "npm run build")') : `${CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)`;

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

/** axe-core in the page, evaluated by the DevTools protocol: the page's CSP stays as served. */
async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] })).violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}

async function accessible(page: Page, what: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const serious = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious, [], `${what} (${scheme}): axe finds serious violations`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('web UI in a real browser (issue 15)', { skip }, () => {
  let fx: UiFixture;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    fx = await uiFixture();
    // launch() always starts on a fresh, empty profile of its own (it refuses --user-data-dir).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fx.url });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });

  after(async () => {
    await browser?.close();
    await fx?.close();
  });

  test('/ redirects to the dashboard, which a public server shows without a token; a write asks for one', async () => {
    await page.goto(`${fx.url}/`);
    assert.equal(new URL(page.url()).pathname, '/ui/');
    await page.getByRole('rowheader', { name: 'fixture' }).waitFor();
    await page.getByRole('button', { name: 'Update fixture' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'DEBSTASH_E_UNAUTHORIZED' }).first();
    await refused.waitFor();
    assert.match(await refused.innerText(), /DEBSTASH_E_UNAUTHORIZED[\s\S]*needs an API token/);
    await page.getByLabel('API token').fill(fx.token);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByRole('rowheader', { name: 'fixture' }).waitFor();
    // The row was already there before the token; wait for what the re-render fetches.
    await page.getByRole('region', { name: 'Mirrors table' }).getByText(/unresolved: broken_1_amd64/).waitFor();
    await page.getByRole('region', { name: 'Publishes table' }).getByText(/snapshot s1/).waitFor();
    const mirrors = await page.getByRole('region', { name: 'Mirrors table' }).innerText();
    assert.match(mirrors, /testing main/);
    assert.match(mirrors, /unresolved: broken_1_amd64 needs missing-package \(>= 2\)/);
    assert.match(mirrors, /filter term i386-app matched nothing/);
    const publishes = await page.getByRole('region', { name: 'Publishes table' }).innerText();
    assert.match(publishes, /\/testing[\s\S]*snapshot s1/);
    await page.getByText(/^Readiness: ready/).waitFor();
    assert.ok(!page.url().includes(fx.token), 'the token is never in the URL');
    assert.equal(await page.evaluate('sessionStorage.getItem("debstash.token")'), fx.token);
    // An update from the dashboard: a task, followed live, then a bar of the freshness chart.
    await page.getByRole('button', { name: 'Update fixture' }).click();
    await page.locator('figure.chart svg rect.bar-succeeded').waitFor({ timeout: 30_000 });
    assert.match(await page.getByRole('region', { name: 'Mirrors table' }).innerText(), /succeeded, [\d.]+ (ms|s), [\d.]+ (B|kB) fetched/);
    assert.match((await page.locator('figure.chart svg').getAttribute('aria-label')) ?? '', /Last 1 mirror updates: fixture .*: succeeded/);
    // A .deb uploaded into a local repo.
    await page.getByLabel('Upload .deb files to extras').setInputFiles(fx.extraDeb);
    await page.locator('form.upload').getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText('1 added, 0 unchanged, 0 replaced.').waitFor();
    await page.getByText('extras: 3 packages').waitFor();
    await accessible(page, 'dashboard');
    await shot('dashboard');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('dashboard-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('search: a syntax error is shown at its column, then a good query lists packages', async () => {
    await page.getByRole('link', { name: 'Packages' }).click();
    await page.getByLabel('Filter query').fill('app (');
    await page.getByRole('button', { name: 'Search' }).click();
    const alert = page.locator('.syntax');
    await alert.waitFor();
    assert.match(await alert.innerText(), /DEBSTASH_E_QUERY_SYNTAX: column 6/);
    assert.equal((await alert.locator('pre').innerText()).split('\n')[1], '     ^', 'the caret stands under column 6');
    await accessible(page, 'search with a syntax error');
    await shot('search-error');
    await page.getByLabel('Filter query').fill('app | libfoo1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'libfoo1' }).first().waitFor();
    assert.match(await page.getByRole('status').first().innerText(), /match/);
    assert.ok(new URL(page.url()).searchParams.get('q') === 'app | libfoo1');
    await accessible(page, 'search results');
    await shot('search');
  });

  test('package details: fields, where it is, reverse dependencies; a dependency link opens that package', async () => {
    await page.getByRole('link', { name: 'app', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /^app 1\.0-1/ }).waitFor();
    await page.getByText('published at /testing').waitFor();
    const where = await page.locator('section[aria-labelledby="where-h"]').innerText();
    assert.match(where, /mirror fixture/);
    assert.match(where, /snapshot s1/);
    assert.match(where, /published at \/testing/);
    await accessible(page, 'package app');
    await shot('package');
    await page.getByRole('link', { name: 'libfoo1 (>= 1.0)' }).click();
    await page.getByRole('heading', { level: 1, name: /^libfoo1/ }).waitFor();
    await page.locator('section[aria-labelledby="rdeps-h"]').getByRole('link', { name: /^app 1\.0-1/ }).waitFor();
    await accessible(page, 'package libfoo1');
  });

  test('snapshot diff: added and upgraded, with sizes', async () => {
    await page.getByRole('link', { name: 'Snapshot diff' }).click();
    assert.match(await page.getByLabel('From').locator('option[value="s1"]').innerText(), /served at \/testing/, 'a publish\'s current snapshot is marked');
    await page.getByLabel('From').selectOption('s1');
    await page.getByLabel('To').selectOption('s2');
    await page.getByRole('button', { name: 'Compare' }).click();
    const upgraded = page.locator('table.diff-upgraded');
    await upgraded.waitFor();
    assert.match(await upgraded.innerText(), /libfoo1\s+1\.2-1\s+1\.3-1\s+amd64\s+\d+ B → 20 kB/);
    assert.match(await page.locator('table.diff-added').innerText(), /fresh-tool\s+0\.1\s+amd64/);
    assert.match(await page.locator('.diff [role=status]').innerText(), /1 added, 0 removed, 1 upgraded, 0 downgraded/);
    await accessible(page, 'diff');
    await shot('diff');
  });

  test('switch a publish: the confirmation shows the diff, the task is followed to its end', async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('link', { name: 'Switch…' }).click();
    await page.getByLabel('Switch to snapshot').selectOption('s2');
    await page.getByRole('button', { name: 'Review switch…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('table.diff-upgraded').waitFor();
    assert.match(await dialog.innerText(), /Switch \/testing from s1 to s2\?[\s\S]*libfoo1/);
    await accessible(page, 'switch confirmation');
    await shot('switch-confirm');
    await dialog.getByRole('button', { name: 'Switch to s2' }).click();
    await page.getByTestId('switch-result').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('switch-result').innerText(), 'Switch succeeded.');
    await page.getByTestId('serving').filter({ hasText: 'snapshot s2' }).waitFor();
    const served = (await (await fetch(`${fx.url}/api/publish/testing`, { headers: { authorization: `Bearer ${fx.token}` } })).json()) as { source: { name: string } };
    assert.equal(served.source.name, 's2');
    await shot('switch-done');
  });

  test('client setup: the copied stanza is accepted by a real apt', async () => {
    await page.getByRole('link', { name: 'Client setup for this distribution' }).click();
    await page.getByTestId('stanza').waitFor();
    const fingerprint = await page.getByTestId('fingerprint').innerText();
    assert.match(fingerprint, /^[0-9A-F]{40}$/);
    await page.getByRole('button', { name: 'Copy stanza' }).click();
    await page.getByText('Copied.').waitFor();
    const copied = String(await page.evaluate('navigator.clipboard.readText()'));
    assert.match(copied, /^Types: deb\nURIs: http:\/\/127\.0\.0\.1:\d+\nSuites: testing\n/);
    assert.match(await page.getByRole('region', { name: 'Client commands' }).or(page.getByLabel('Client commands')).innerText(), /apt-get update/);
    await accessible(page, 'client setup');
    await shot('client');
    const apt = await IsolatedApt.create(copied);
    try {
      const { stdout, stderr } = await apt.aptGet('update');
      assert.doesNotMatch(stderr, /^(W|E):/m, stderr);
      const sim = await apt.aptGet('-s', 'install', 'fresh-tool').catch((err: unknown) => {
        throw new Error(`apt-get install -s after update:\n${stdout}\n${copied}`, { cause: err });
      });
      assert.match(sim.stdout, /Inst fresh-tool \(0\.1 /, 'the switched publish (s2) is what apt sees');
    } finally {
      await apt.close();
    }
  });

  test('at 360 px wide nothing overflows the page; no CSP or script errors on the way', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    for (const path of ['/ui/', '/ui/search?q=app', '/ui/packages/app/1.0-1/amd64', '/ui/diff?a=s1&b=s2', '/ui/client/testing']) {
      await page.goto(`${fx.url}${path}`);
      await page.locator('main h1').waitFor();
      await page.waitForLoadState('networkidle');
      const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
      assert.ok(width <= 360, `${path}: the page is ${width} px wide at a 360 px viewport`);
    }
    await page.goto(`${fx.url}/ui/`);
    await page.getByRole('rowheader', { name: 'fixture' }).waitFor();
    await shot('dashboard-360');
    // Keyboard: the skip link is the first stop and shows its focus.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
    assert.deepEqual(consoleErrors.filter((e) => /Content Security Policy|Refused to/.test(e)), []);
    // The browser logs every 4xx answer; the 401 before the token and the 400 of the bad query are expected.
    assert.deepEqual(consoleErrors.filter((e) => !/status of 40[01] /.test(e)), [], 'no script errors');
  });
});
