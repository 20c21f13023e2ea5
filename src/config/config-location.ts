import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** Where in debstash.yaml a setting is: the file, 1-based line and column, and its path. */
export interface ConfigLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** `mirrors.bookworm.filter`, `publishes[0].from[1]`; '' for the document itself. */
  readonly setting: string;
}

export type SettingPath = readonly (string | number)[];

/** `['publishes', 0, 'dist']` → `publishes[0].dist`. */
export function formatSettingPath(path: SettingPath): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`), '');
}

/** The setting path of `node`, from the ancestors `yaml`'s visit() passes along. */
export function pathOfAncestors(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const chain = [...ancestors, node];
  const out: (string | number)[] = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent) && child === parent.value) out.push(isScalar(parent.key) ? String(parent.key.value) : String(parent.key));
    else if (isSeq(parent)) out.push(parent.items.indexOf(child as never));
  }
  return out;
}

/** The YAML text of one file, to point at its settings. */
export class ConfigSourceMap {
  constructor(
    readonly file: string,
    private readonly doc: Document | undefined,
    private readonly lines: LineCounter | undefined,
  ) {}

  /** The node of `path`, else of its nearest ancestor that exists; with `key`, that key's own node. */
  locate(path: SettingPath, key?: string): ConfigLocation {
    const setting = formatSettingPath(key === undefined ? path : [...path, key]);
    if (this.doc === undefined || this.lines === undefined) return { file: this.file, setting };
    let node: unknown;
    for (let n = path.length; n >= 0 && node === undefined; n--) node = path.length === 0 || n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (pair !== undefined) node = pair.key;
    }
    return this.at(node as Node | null | undefined, setting);
  }

  /** The location of a node's first character. */
  at(node: Node | null | undefined, setting: string): ConfigLocation {
    const offset = node?.range?.[0];
    if (offset === undefined || this.lines === undefined) return { file: this.file, setting };
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col, setting };
  }
}

/** `file:line:col: setting: ` — the start of every config error message. */
export function describeLocation(at: ConfigLocation): string {
  const where = at.line === undefined ? at.file : `${at.file}:${at.line}:${at.column}`;
  return at.setting === '' ? `${where}: ` : `${where}: ${at.setting}: `;
}
