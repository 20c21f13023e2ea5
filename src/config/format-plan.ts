import type { MirrorWarning, PlanStep } from './plan-step.js';

const from = (sources: (PlanStep & { action: 'snapshot' })['from']): string => sources.map((s) => ('mirror' in s ? `mirror ${s.mirror}` : `repo ${s.repo}`)).join(' + ');

/** One line for one step, as `apply --plan` prints it and `apply` reports it. */
export function describeStep(step: PlanStep): string {
  switch (step.action) {
    case 'generate-key':
      return `+ generate signing key (${step.algorithm})`;
    case 'import-key':
      return `+ import signing key from ${step.file}`;
    case 'create-mirror':
      return `+ create mirror ${step.mirror} (${step.url} ${step.dist})`;
    case 'edit-mirror':
      return `~ edit mirror ${step.mirror}: ${step.changes.join(', ')}`;
    case 'update-mirror':
      return `~ update mirror ${step.mirror} (${step.reason}${step.added !== undefined ? `: +${step.added} -${step.removed ?? 0} packages` : ''})`;
    case 'create-repo':
      return `+ create repo ${step.repo}`;
    case 'snapshot':
      return `+ snapshot ${step.snapshot} of ${from(step.from)}${step.ifChanged ? ' (if the update changes its packages)' : ''}`;
    case 'publish':
      return `+ publish ${step.publish} from snapshot ${step.snapshot}`;
    case 'switch':
      return `~ switch ${step.publish} from snapshot ${step.previous} to ${step.snapshot}`;
    case 'drop-snapshot':
      return `- drop snapshot ${step.snapshot} (older than the kept ones of ${step.publish})`;
  }
}

/** The human plan: one line per step, or that there is nothing to do. */
export function formatPlan(steps: readonly PlanStep[]): string {
  return steps.length === 0 ? 'nothing to do: the store matches the config' : steps.map(describeStep).join('\n');
}

/** The lines that follow a plan or an apply report: one per filter warning. */
export function formatWarnings(warnings: readonly MirrorWarning[]): string[] {
  return warnings.map((w) => `warning: mirror ${w.mirror}: ${w.message}`);
}
