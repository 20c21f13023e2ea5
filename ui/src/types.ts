/** The parts of the REST API's answers (docs/api.md) that the pages read. */
export interface FilterWarning {
  readonly message: string;
  readonly term: string;
}

export interface Mirror {
  readonly name: string;
  readonly config: { readonly url: string; readonly dist: string; readonly components: readonly string[]; readonly architectures: readonly string[]; readonly filter?: string };
  readonly updatedAt?: string;
  readonly sync?: { readonly date?: string; readonly filterWarnings?: readonly FilterWarning[] };
  readonly packageCount: number;
}

export interface MirrorDetails {
  readonly unresolved: readonly { readonly package: string; readonly dependency: string }[];
}

export interface Publish {
  readonly prefix: string;
  readonly dist: string;
  readonly source: { readonly kind: 'snapshot' | 'repo'; readonly name: string };
  readonly architectures: readonly string[];
  readonly keyFingerprint?: string;
  readonly updatedAt?: string;
}

export interface Snapshot {
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly packageCount: number;
}

export interface Task {
  readonly id: string;
  readonly kind: string;
  readonly resources: readonly string[];
  readonly state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly progress?: { readonly phase?: string; readonly message?: string; readonly done?: number; readonly total?: number; readonly bytesDone?: number; readonly bytesTotal?: number };
  readonly warnings: readonly string[];
  readonly result?: { readonly mirror?: string; readonly packages?: number; readonly downloadBytes?: number; readonly upToDate?: boolean };
  readonly error?: { readonly code: string; readonly message: string };
}

export interface PackageHit {
  readonly kind: string;
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly filename: string;
  readonly size: number;
  readonly sha256: string;
  readonly stanza: string;
  readonly locations: readonly { readonly kind: 'mirror' | 'repo' | 'snapshot'; readonly name: string; readonly component: string }[];
}

interface Change {
  readonly name: string;
  readonly architecture: string;
}
export interface SnapshotDiff {
  readonly added: readonly (Change & { readonly version: string; readonly size: number })[];
  readonly removed: readonly (Change & { readonly version: string; readonly size: number })[];
  readonly upgraded: readonly (Change & { readonly from: string; readonly to: string; readonly fromSize: number; readonly toSize: number })[];
  readonly downgraded: readonly (Change & { readonly from: string; readonly to: string; readonly fromSize: number; readonly toSize: number })[];
}

export interface Key {
  readonly fingerprint: string;
  readonly keyId: string;
  readonly userIds: readonly string[];
  readonly default: boolean;
}

export interface Repo {
  readonly name: string;
  readonly comment: string;
  readonly packageCount: number;
}
