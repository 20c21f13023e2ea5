import type { TokenScope } from '../store/token-record.js';

/** A token given in debstash.yaml (its secret usually from `${ENV}`), besides stored ones. */
export interface ConfiguredToken {
  readonly name: string;
  readonly scope: TokenScope;
  readonly secret: string;
}
