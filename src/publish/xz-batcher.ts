import { haveXzProgram } from '../deb/compression/xz-process-decoder.js';
import { xzEncodeByProgram } from '../deb/compression/xz-process-encoder.js';
import { Semaphore } from '../concurrency/semaphore.js';
import { checkPreset, dictionarySize, xzBlocksAlone } from './chunk-codec.js';
import { eachBlock, splitXzStream, type XzBlocks } from './xz-container.js';

/** A batch stops growing here, so that the last ones spread over the cores. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

interface Waiting {
  readonly data: Uint8Array;
  readonly resolve: (blocks: XzBlocks) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Compresses index chunks to xz blocks with several chunks to one `xz` process (its
 * `--block-list`), `slots` processes at a time. Each block is encoded from a fresh state with
 * the chunk's own dictionary, so it is byte for byte the block of xzStream over that chunk
 * alone (tested) and chunks stay reusable whatever they were batched with; chunks whose
 * dictionaries differ go to different processes. Batching is for the parent: starting a
 * process copies the publisher's page tables, ~35 ms of its main thread at 450 MB, which
 * cost 3.5 s for the 100 chunks of a whole archive's Packages when every chunk had its own.
 * Without the program each chunk is compressed alone in this process (liblzma), `slots` at a time.
 */
export class XzBatcher {
  readonly #slots: number;
  readonly #maxBatchBytes: number;
  /** By preset and dictionary size, in arrival order. */
  readonly #queues = new Map<string, { readonly preset: number; readonly dict: number; readonly items: Waiting[] }>();
  #queuedBytes = 0;
  #running = 0;
  #scheduled = false;
  readonly #inProcess: Semaphore;

  constructor(slots: number, maxBatchBytes = MAX_BATCH_BYTES) {
    this.#slots = slots;
    this.#maxBatchBytes = maxBatchBytes;
    this.#inProcess = new Semaphore(slots);
  }

  /** The xz block of `data` at `preset`, as xzBlocksAlone makes it. */
  readonly blocks = (data: Uint8Array, preset: number): Promise<XzBlocks> => {
    checkPreset(preset);
    // An empty chunk has no block (a stream of none), so it cannot share a --block-list.
    if (data.length === 0 || !haveXzProgram()) return this.#inProcess.run(() => xzBlocksAlone(data, preset));
    const dict = dictionarySize(preset, data.length);
    return new Promise((resolve, reject) => {
      const key = `${preset}/${dict}`;
      let queue = this.#queues.get(key);
      if (queue === undefined) this.#queues.set(key, (queue = { preset, dict, items: [] }));
      queue.items.push({ data, resolve, reject });
      this.#queuedBytes += data.length;
      // Chunks asked for in the same turn (an index asks for all of its own at once) batch together.
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  };

  #pump(): void {
    while (this.#running < this.#slots && this.#queuedBytes > 0) {
      const [key, queue] = this.#queues.entries().next().value as [string, { preset: number; dict: number; items: Waiting[] }];
      // Near the end the batches shrink, so that every slot gets a share.
      const limit = Math.min(this.#maxBatchBytes, Math.ceil(this.#queuedBytes / this.#slots));
      const batch: Waiting[] = [];
      let bytes = 0;
      while (queue.items.length > 0 && (batch.length === 0 || bytes + (queue.items[0] as Waiting).data.length <= limit)) {
        const item = queue.items.shift() as Waiting;
        batch.push(item);
        bytes += item.data.length;
      }
      if (queue.items.length === 0) this.#queues.delete(key);
      this.#queuedBytes -= bytes;
      this.#running++;
      void this.#run(batch, queue.preset, queue.dict).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  async #run(batch: readonly Waiting[], preset: number, dict: number): Promise<void> {
    try {
      const data = batch.length === 1 ? (batch[0] as Waiting).data : Buffer.concat(batch.map((w) => w.data));
      const sizes = batch.map((w) => w.data.length);
      const blocks = eachBlock(splitXzStream(await xzEncodeByProgram(data, preset, dict, batch.length === 1 ? undefined : sizes)));
      if (blocks.length !== batch.length || blocks.some((b, i) => b.records[0]?.uncompressed !== sizes[i])) {
        throw new Error(`xz: ${batch.length} chunks gave ${blocks.length} blocks of other sizes`);
      }
      batch.forEach((w, i) => w.resolve(blocks[i] as XzBlocks));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
