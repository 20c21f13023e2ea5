// The measured work of `npm run bench -- parse`, in its own process so its peak RSS is its own:
// decompress a Packages.xz, parse every paragraph, build the name/provides index. With `worker`
// the paragraphs are parsed in a worker thread whatever the number of cores (mirror update
// uses one only with 3 cores or more).
import { createReadStream } from 'node:fs';
import { decompressStream } from '../src/deb/compression/decompress-stream.js';
import { parseDeb822Stream } from '../src/deb/deb822-parse.js';
import { parseDeb822Parallel, WORKER_MIN_BYTES } from '../src/workers/parse-deb822-parallel.js';
import { PackageIndex } from '../src/resolve/package-index.js';

const [file, mode = 'thread'] = process.argv.slice(2);
if (file === undefined || (mode !== 'thread' && mode !== 'worker')) throw new Error('usage: parse-worker FILE.xz [thread|worker]');

const start = process.hrtime.bigint();
const index = new PackageIndex();
const text = createReadStream(file, { highWaterMark: 1 << 16 }).pipe(decompressStream('xz'));
const paragraphs = mode === 'worker' ? parseDeb822Parallel(text, { source: file, workerMinBytes: WORKER_MIN_BYTES }) : parseDeb822Stream(text, { source: file });
for await (const paragraph of paragraphs) index.add(paragraph);
const wallS = Number(process.hrtime.bigint() - start) / 1e9;

let names = 0;
for (const _ of index.names) names++;
console.log(JSON.stringify({ packages: index.size, names, wallS }));
