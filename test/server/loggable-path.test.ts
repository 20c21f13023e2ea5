import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loggablePath } from '../../src/server/loggable-path.js';

test('query values debstash does not read are redacted; paths and known parameters stay', () => {
  assert.equal(loggablePath('/dists/stable/InRelease'), '/dists/stable/InRelease');
  assert.equal(loggablePath('/api/packages?q=Name%20(~%20x)&prefix=p'), '/api/packages?q=Name%20(~%20x)&prefix=p');
  assert.equal(loggablePath('/api/repos/r/packages?token=dst_abc&x'), '/api/repos/r/packages?token=REDACTED&x');
  assert.equal(loggablePath('/a?access_token=s&q=1&X-Amz-Signature=f'), '/a?access_token=REDACTED&q=1&X-Amz-Signature=REDACTED');
  assert.equal(loggablePath('/a?%E0%A4%A=1'), '/a?%E0%A4%A=REDACTED');
  assert.equal(loggablePath(undefined), undefined);
});
