/** Scopes nest: admin ⊃ write ⊃ read. */
export type TokenScope = 'read' | 'write' | 'admin';

/** A token given in debstash.yaml (its secret usually from `${ENV}`), besides stored ones. */
export interface ConfiguredToken {
  readonly name: string;
  readonly scope: TokenScope;
  readonly secret: string;
}
