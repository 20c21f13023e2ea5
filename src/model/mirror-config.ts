/** What a mirror is: where it reads from and what it keeps. Stored as given; checked on create/edit. */
export interface MirrorConfig {
  readonly url: string;
  readonly dist: string;
  readonly components: readonly string[];
  readonly architectures: readonly string[];
  /** aptly-grammar filter; absent means every package. */
  readonly filter?: string;
  readonly withDeps: boolean;
  readonly withRecommends: boolean;
  readonly withSources: boolean;
  readonly withUdebs: boolean;
  /** Keyring files (binary or armored) the upstream's Release signature must verify against. */
  readonly keyrings: readonly string[];
  /** Other mirrors whose packages may satisfy this one's dependencies (e.g. security → main). */
  readonly depsFrom: readonly string[];
}

/** What a user may leave out when creating or editing a mirror. */
export interface MirrorConfigInput {
  readonly url: string;
  readonly dist: string;
  readonly components?: readonly string[];
  readonly architectures?: readonly string[];
  readonly filter?: string;
  readonly withDeps?: boolean;
  readonly withRecommends?: boolean;
  readonly withSources?: boolean;
  readonly withUdebs?: boolean;
  readonly keyrings?: readonly string[];
  readonly depsFrom?: readonly string[];
}
