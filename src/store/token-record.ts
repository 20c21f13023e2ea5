/** Scopes nest: admin ⊃ write ⊃ read. */
export type TokenScope = 'read' | 'write' | 'admin';

/** A stored API token: only the SHA-256 of its secret is kept, never the secret. */
export interface TokenRecord {
  readonly name: string;
  readonly scope: TokenScope;
  /** Hex SHA-256 of the secret. */
  readonly sha256: string;
  readonly createdAt: string;
}
