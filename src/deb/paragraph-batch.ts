import { type Paragraph, paragraphFromRanges, rangesOf } from './paragraph.js';

/**
 * Parsed paragraphs in a form that crosses a thread boundary cheaply (structured clone plus two
 * transferable Int32Arrays), for parsing an index in a worker. A paragraph keeps its values as
 * ranges into the parser's text (see Paragraph), so the batch carries each text once, the
 * ranges in one array and only the values that are not a stretch of a text as strings: the
 * receiving side rebuilds paragraphs that share texts and name arrays just as the parser's do,
 * and costs no more memory.
 */
export interface ParagraphBatch {
  /** Id of `texts[0]`; ids number the texts of a whole stream of batches. */
  readonly firstText: number;
  /** Texts first used in this batch. */
  readonly texts: readonly string[];
  /** Id of `nameSets[0]`; name sets are numbered like texts. */
  readonly firstNameSet: number;
  /** Field-name arrays first used in this batch. */
  readonly nameSets: readonly (readonly string[])[];
  /** Per paragraph, HEAD_FIELDS numbers: text id, name set id, line, extras count. */
  readonly heads: Int32Array<ArrayBuffer>;
  /** Per paragraph, two numbers per field: [start, end) in its text, or -(extra index + 1). */
  readonly ranges: Int32Array<ArrayBuffer>;
  /** Values that are not one stretch of a text, paragraph after paragraph. */
  readonly extras: readonly string[];
}

const HEAD_FIELDS = 4;

/** Sending side: remembers what earlier batches of the same stream carried. */
export class ParagraphBatchEncoder {
  #lastText: string | undefined;
  #textId = -1;
  readonly #nameSetIds = new Map<readonly string[], number>();

  encode(paragraphs: readonly Paragraph[]): ParagraphBatch {
    const firstText = this.#textId + 1;
    const firstNameSet = this.#nameSetIds.size;
    const texts: string[] = [];
    const nameSets: (readonly string[])[] = [];
    const heads = new Int32Array(paragraphs.length * HEAD_FIELDS);
    let fields = 0;
    for (const p of paragraphs) fields += p.size;
    const ranges = new Int32Array(2 * fields);
    const extras: string[] = [];
    let at = 0;
    paragraphs.forEach((p, i) => {
      const parts = rangesOf(p);
      // The parser's paragraphs end in the text they were completed in, and texts come in
      // order, so comparing with the last one sent is enough to send each once.
      const src = parts?.src ?? '';
      if (src !== this.#lastText) {
        texts.push(src);
        this.#lastText = src;
        this.#textId++;
      }
      let nameSet = this.#nameSetIds.get(p.names);
      if (nameSet === undefined) {
        nameSet = this.#nameSetIds.size;
        this.#nameSetIds.set(p.names, nameSet);
        nameSets.push(p.names);
      }
      const extrasBefore = extras.length;
      for (let f = 0; f < p.size; f++, at += 2) {
        const start = parts === undefined ? -1 : parts.ranges[parts.base + 2 * f];
        if (start >= 0 && parts !== undefined) {
          ranges[at] = start;
          ranges[at + 1] = parts.ranges[parts.base + 2 * f + 1];
        } else {
          extras.push(p.valueAt(f));
          ranges[at] = -(extras.length - extrasBefore);
        }
      }
      heads.set([this.#textId, nameSet, p.line, extras.length - extrasBefore], i * HEAD_FIELDS);
    });
    return { firstText, texts, firstNameSet, nameSets, heads, ranges, extras };
  }
}

/** Receiving side: rebuilds the paragraphs of a stream of batches, in order. */
export class ParagraphBatchDecoder {
  #lastText = '';
  #lastTextId = -1;
  readonly #nameSets: (readonly string[])[] = [];

  decode(batch: ParagraphBatch): Paragraph[] {
    // A name set arrives as its own array, shared from here on like the parser's.
    for (const names of batch.nameSets) this.#nameSets.push(Object.freeze(names));
    const { heads, ranges, texts, firstText } = batch;
    const out: Paragraph[] = [];
    let at = 0;
    let extraAt = 0;
    for (let h = 0; h < heads.length; h += HEAD_FIELDS) {
      const textId = heads[h];
      if (textId !== this.#lastTextId) {
        // Only the newest text is remembered: older ones are never referred to again.
        this.#lastText = texts[textId - firstText];
        this.#lastTextId = textId;
      }
      const names = this.#nameSets[heads[h + 1]];
      const extrasCount = heads[h + 3];
      const extras = extrasCount === 0 ? undefined : batch.extras.slice(extraAt, extraAt + extrasCount);
      extraAt += extrasCount;
      out.push(paragraphFromRanges(names, heads[h + 2], this.#lastText, ranges, at, extras));
      at += 2 * names.length;
    }
    return out;
  }
}
