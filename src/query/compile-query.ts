import { DebstashError } from '../errors/debstash-error.js';
import { aptlyFieldReader, aptlyProvides } from './aptly-field.js';
import { checkCondition, type ConditionSubject } from './check-condition.js';
import type { FieldNode, PackageNode, QueryCondition, QueryNode } from './query-ast.js';
import type { QueryTarget } from './query-target.js';
import type { Relation } from '../deb/relation.js';
import { formatQuery } from './format-query.js';

export type QueryPredicate = (pkg: QueryTarget) => boolean;

export interface CompileQueryOptions {
  /**
   * aptly (the default) lets a package name match only Provides items without a version:
   * `Provides: foo (= 1.0)` makes `foo` match nothing, and `foo (>= 1)` never looks at
   * Provides. With `versionedProvides`, terms follow Debian Policy 7.5 instead: `foo` matches
   * any Provides of `foo`, and `foo (op v)` matches `Provides: foo (= w)` when `w op v` holds.
   */
  readonly versionedProvides?: boolean;
}

/**
 * Turns a query into a predicate, compiling its globs and regexps once. Conditions are checked
 * again here (a hand-built AST may carry a bad regexp) and throw DEBSTASH_E_QUERY_SYNTAX.
 */
export function compileQuery(q: QueryNode, options: CompileQueryOptions = {}): QueryPredicate {
  return new QueryCompiler(q, options.versionedProvides === true).compile(q);
}

/** aptly's Package.MatchesArchitecture: `all` packages match every architecture but `source`. */
function matchesArchitecture(pkg: QueryTarget, arch: string): boolean {
  return pkg.architecture === arch || (pkg.architecture === 'all' && arch !== 'source');
}

class QueryCompiler {
  constructor(
    private readonly root: QueryNode,
    private readonly versionedProvides: boolean,
  ) {}

  compile(node: QueryNode): QueryPredicate {
    switch (node.kind) {
      case 'or':
      case 'and':
        return this.chain(node.kind, node);
      case 'not': {
        // `!!!!a` may be arbitrarily long: count instead of recursing.
        let negations = 0;
        let inner: QueryNode = node;
        while (inner.kind === 'not') {
          negations++;
          inner = inner.operand;
        }
        const operand = this.compile(inner);
        return negations % 2 === 1 ? (pkg) => !operand(pkg) : operand;
      }
      case 'key': {
        const { name, version, arch } = node;
        return (pkg) => pkg.name === name && pkg.version === version && pkg.architecture === arch;
      }
      case 'field':
        return this.field(node);
      case 'package':
        return this.packageTerm(node);
    }
  }

  /** Chains are long and nested to the right (`a | b | c | ...`): flatten them, no deep closures. */
  private chain(kind: 'or' | 'and', node: QueryNode): QueryPredicate {
    const parts: QueryPredicate[] = [];
    let rest: QueryNode = node;
    while (rest.kind === kind) {
      parts.push(this.compile(rest.left));
      rest = rest.right;
    }
    parts.push(this.compile(rest));
    if (parts.length === 2) {
      const [a, b] = parts as [QueryPredicate, QueryPredicate];
      return kind === 'or' ? (pkg) => a(pkg) || b(pkg) : (pkg) => a(pkg) && b(pkg);
    }
    if (kind === 'or') {
      return (pkg) => {
        for (const p of parts) if (p(pkg)) return true;
        return false;
      };
    }
    return (pkg) => {
      for (const p of parts) if (!p(pkg)) return false;
      return true;
    };
  }

  private test(condition: QueryCondition, subject: ConditionSubject): (value: string) => boolean {
    const checked = checkCondition(condition, subject);
    if (!checked.ok) {
      const query = formatQuery(this.root);
      throw new DebstashError('DEBSTASH_E_QUERY_SYNTAX', `query ${JSON.stringify(query.slice(0, 200))}: ${checked.message}`, {
        query: query.slice(0, 1000),
      });
    }
    return checked.test;
  }

  private field(node: FieldNode): QueryPredicate {
    const { field, condition } = node;
    if (field === '$Version') {
      // aptly matches $Version as a dependency on the package's own name.
      if (condition === undefined) return () => true;
      const test = this.test(condition, 'version');
      return (pkg) => test(pkg.version);
    }
    if (field === '$Architecture' && condition?.op === '=') {
      const arch = condition.value;
      return (pkg) => matchesArchitecture(pkg, arch);
    }
    const read = aptlyFieldReader(field);
    if (condition === undefined) return (pkg) => read(pkg) !== '';
    const test = this.test(condition, 'text');
    return (pkg) => test(read(pkg));
  }

  private packageTerm(node: PackageNode): QueryPredicate {
    const { name, condition, arch } = node;
    let match: QueryPredicate;
    if (condition === undefined) {
      match = this.versionedProvides
        ? (pkg) => pkg.name === name || pkg.provides.some((r) => r.name === name)
        : (pkg) => pkg.name === name || aptlyProvides(pkg, name);
    } else {
      const test = this.test(condition, 'version');
      if (this.versionedProvides) {
        const provided = this.providedVersionTest(test);
        match = (pkg) => (pkg.name === name && test(pkg.version)) || pkg.provides.some((r) => r.name === name && provided(r));
      } else {
        match = (pkg) => pkg.name === name && test(pkg.version);
      }
    }
    // An empty `{}` qualifier is no qualifier, as in aptly.
    if (arch === undefined || arch === '') return match;
    return (pkg) => matchesArchitecture(pkg, arch) && match(pkg);
  }

  /** Policy: only `Provides: name (= v)` carries a version, and only it satisfies a versioned term. */
  private providedVersionTest(test: (value: string) => boolean): (r: Relation) => boolean {
    return (r) => r.op === '=' && r.version !== undefined && test(r.version);
  }
}
