/**
 * The parsed form of a package query (aptly's filter language).
 *
 * `<` and `>` do not appear: like aptly (and old dpkg), the parser reads them as `<=` and `>=`.
 */
export type QueryOp = '=' | '<<' | '<=' | '>=' | '>>' | '%' | '~';

/** `(op value)` after a field or package name. `(value)` alone means `(= value)`. */
export interface QueryCondition {
  readonly op: QueryOp;
  readonly value: string;
}

/** `left | right`. The parser nests chains to the right: `a | b | c` is `a | (b | c)`. */
export interface OrNode {
  readonly kind: 'or';
  readonly left: QueryNode;
  readonly right: QueryNode;
}

/** `left, right`; binds tighter than `|`, nests to the right like `|`. */
export interface AndNode {
  readonly kind: 'and';
  readonly left: QueryNode;
  readonly right: QueryNode;
}

/** `!operand`; binds tighter than `,`. */
export interface NotNode {
  readonly kind: 'not';
  readonly operand: QueryNode;
}

/**
 * `Field`, `Field (op value)`, or a special field `$Source`, `$SourceVersion`, `$Version`,
 * `$Architecture`, `$PackageType`. A word is a field when it starts with `$`, or starts with an
 * upper-case letter and holds no `_`. Without a condition it matches packages where the field
 * is present and not empty.
 */
export interface FieldNode {
  readonly kind: 'field';
  readonly field: string;
  readonly condition?: QueryCondition;
}

/**
 * A dependency-style term: `name`, `name (op version)`, with an optional `{arch}`.
 * Without a condition it also matches packages that provide `name` (unversioned Provides).
 */
export interface PackageNode {
  readonly kind: 'package';
  readonly name: string;
  readonly condition?: QueryCondition;
  readonly arch?: string;
}

/** `name_version_arch`: exactly one package, as aptly prints it. */
export interface PackageKeyNode {
  readonly kind: 'key';
  readonly name: string;
  readonly version: string;
  readonly arch: string;
}

export type QueryNode = OrNode | AndNode | NotNode | FieldNode | PackageNode | PackageKeyNode;
