import assert from 'node:assert/strict';
import { test } from 'node:test';
import { desiredMirrorConfig, mirrorDifferences } from '../../src/config/desired-mirror.js';
import { parseConfigText } from '../../src/config/load-config.js';
import type { HostUpstream } from '../../src/upstream/host-apt-sources.js';
import { isCode } from '../helpers/coded-error.js';

const noHost = (): Promise<HostUpstream> => Promise.reject(new Error('the host is not asked when url is given'));

const settings = (policy: string) =>
  parseConfigText(`mirrors:\n  m:\n    url: http://127.0.0.1:1/debian\n    dist: stable\n    keyring: [/dev/null]\n${policy === '' ? '' : `    policy: ${policy}\n`}`, 'debstash.yaml').mirrors['m']!;

test('policy: on_demand and cache_on_serve become the mirror policy; immediate (the default) is stored as nothing', async () => {
  const lazy = await desiredMirrorConfig('m', settings('on_demand'), noHost);
  const kept = await desiredMirrorConfig('m', settings('cache_on_serve'), noHost);
  const eager = await desiredMirrorConfig('m', settings('immediate'), noHost);
  const plain = await desiredMirrorConfig('m', settings(''), noHost);
  assert.deepEqual([lazy.policy, kept.policy, 'policy' in eager, 'policy' in plain], ['on-demand', 'cache-on-serve', false, false]);
  assert.deepEqual(mirrorDifferences(plain, lazy), ['policy']);
  assert.deepEqual(mirrorDifferences(plain, eager), []);
});

test('an unknown policy is a config error naming the setting', () => {
  assert.throws(() => settings('sometimes'), (e: unknown) => isCode('DEBSTASH_E_CONFIG_INVALID')(e) && /mirrors\.m\.policy/.test((e as Error).message));
});
