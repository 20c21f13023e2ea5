// `npm run bench [-- NAME...]`: runs the named benchmarks, or all of them.
import { benchCurve } from './curve.js';
import { benchDeepCheck } from './deep-check.js';
import { benchDists } from './dists.js';
import { benchMirror } from './mirror.js';
import { benchOnDemand } from './on-demand.js';
import { benchParse } from './parse.js';
import { benchPool } from './pool.js';
import { benchPublish } from './publish.js';
import { benchReplicas } from './replicas.js';
import { benchScale } from './scale.js';
import { benchServe } from './serve.js';
import { benchStore } from './store.js';

const BENCHES: Record<string, () => Promise<void>> = { parse: benchParse, mirror: benchMirror, publish: benchPublish, serve: benchServe, curve: benchCurve, deep: benchDeepCheck, store: benchStore, pool: benchPool, replicas: benchReplicas, 'on-demand': benchOnDemand, dists: benchDists, scale: benchScale };

const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (bench === undefined) {
    console.error(`unknown bench "${name}"; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  await bench();
}
