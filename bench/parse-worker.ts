// The measured work of `npm run bench -- parse`, in its own process so its peak RSS is its own:
// decompress a Packages.xz, parse every paragraph, build the name/provides index.
import { createReadStream } from 'node:fs';
import { decompressStream } from '../src/deb/compression/decompress-stream.js';
import { parseDeb822Stream } from '../src/deb/deb822-parse.js';
import { PackageIndex } from '../src/resolve/package-index.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: parse-worker FILE.xz');

const start = process.hrtime.bigint();
const index = new PackageIndex();
const text = createReadStream(file, { highWaterMark: 1 << 16 }).pipe(decompressStream('xz'));
for await (const paragraph of parseDeb822Stream(text, { source: file })) index.add(paragraph);
const wallS = Number(process.hrtime.bigint() - start) / 1e9;

let names = 0;
for (const _ of index.names) names++;
console.log(JSON.stringify({ packages: index.size, names, wallS }));
