import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InterpolationProblem, interpolateEnv } from '../../src/config/interpolate-env.js';

const env = { A: 'alpha', EMPTY: '' };

test('${VAR}, ${VAR:-default} and $$ are replaced; other dollars stay', () => {
  assert.equal(interpolateEnv('x ${A} y', env), 'x alpha y');
  assert.equal(interpolateEnv('${MISSING:-postgresql | python3}', env), 'postgresql | python3');
  assert.equal(interpolateEnv('${EMPTY:-fallback}', env), 'fallback', 'an empty value takes the default, as in compose');
  assert.equal(interpolateEnv('${A:-fallback}', env), 'alpha');
  assert.equal(interpolateEnv('${MISSING:-}', env), '');
  assert.equal(interpolateEnv('$$Source (hello) $${A} $5', env), '$Source (hello) ${A} $5');
  assert.equal(interpolateEnv('${EMPTY}', env), '', 'set but empty is a value');
});

test('an unset variable without default, a bad name or an unclosed ${ are problems naming them', () => {
  assert.throws(() => interpolateEnv('${NOPE}', env), (e: unknown) => e instanceof InterpolationProblem && e.variable === 'NOPE' && /NOPE is not set/.test(e.message));
  assert.throws(() => interpolateEnv('${1X}', env), (e: unknown) => e instanceof InterpolationProblem && /not a variable reference/.test(e.message));
  assert.throws(() => interpolateEnv('a ${A', env), (e: unknown) => e instanceof InterpolationProblem && /without a closing/.test(e.message));
});
