import { parseProvides, type Relation } from '../deb/relation.js';
import type { Paragraph } from '../deb/paragraph.js';

export type QueryPackageType = 'deb' | 'udeb' | 'source';

/**
 * What a query is evaluated against: one package of an index or a repository.
 *
 * `architecture` is `source` for a source package (its Architecture field, e.g. `any all`,
 * stays readable through `field`). `field` returns values in the Paragraph convention: first
 * line trimmed, continuation lines appended as `'\n' + line` with their leading blank.
 */
export interface QueryTarget {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly packageType: QueryPackageType;
  /** The raw field, looked up without regard to ASCII case; undefined when absent. */
  field(name: string): string | undefined;
  /** Parsed Provides (empty for source packages or when the field does not parse). */
  readonly provides: readonly Relation[];
}

/**
 * A QueryTarget over a Packages or Sources paragraph. Cheap: nothing is parsed until asked,
 * and Provides only once.
 */
export function queryTargetFromParagraph(p: Paragraph, packageType: QueryPackageType = 'deb'): QueryTarget {
  return new ParagraphTarget(p, packageType);
}

class ParagraphTarget implements QueryTarget {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  #provides: readonly Relation[] | undefined;

  constructor(
    private readonly paragraph: Paragraph,
    readonly packageType: QueryPackageType,
  ) {
    this.name = paragraph.get('Package') ?? '';
    this.version = paragraph.get('Version') ?? '';
    this.architecture = packageType === 'source' ? 'source' : (paragraph.get('Architecture') ?? '');
  }

  field(name: string): string | undefined {
    return this.paragraph.get(name);
  }

  get provides(): readonly Relation[] {
    if (this.#provides === undefined) {
      const text = this.packageType === 'source' ? undefined : this.paragraph.get('Provides');
      this.#provides = text === undefined ? [] : lenientProvides(text);
    }
    return this.#provides;
  }
}

/**
 * A broken Provides in one package must not fail a whole filter run, so on a parse error each
 * comma-separated item still counts by its leading name.
 */
function lenientProvides(text: string): Relation[] {
  try {
    return parseProvides(text);
  } catch {
    const out: Relation[] = [];
    for (const item of text.split(',')) {
      const name = /^\s*([^\s(]+)/.exec(item)?.[1];
      if (name !== undefined) out.push({ name });
    }
    return out;
  }
}
