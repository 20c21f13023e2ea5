import { Command } from 'commander';
import { applyConfig } from '../../config/apply-config.js';
import { findConfig } from '../../config/find-config.js';
import { formatPlan } from '../../config/format-plan.js';
import { planApply } from '../../config/plan-apply.js';
import { cancelOnSignal } from '../cancel-on-signal.js';
import { emit } from '../output.js';
import { progressRenderer } from '../progress-renderer.js';
import { withContext } from '../with-context.js';

/** `debstash apply [--plan]`: make the store match debstash.yaml (or print what that takes). */
export function applyCommand(): Command {
  return new Command('apply')
    .description('make the store match debstash.yaml: create/update mirrors, snapshot, publish or switch, drop old snapshots')
    .option('--plan', 'print what would change, change nothing')
    .action(async (o: { plan?: boolean }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const found = await findConfig(opts.config);
        if (!opts.quiet) process.stderr.write(`debstash: config: ${found.origin}\n`);
        const progress = progressRenderer({ quiet: opts.quiet || o.plan === true });
        const cancel = cancelOnSignal();
        const started = performance.now();
        try {
          if (o.plan === true) {
            const steps = await planApply(ctx, found.config, { progress, signal: cancel.signal });
            emit(opts, steps.length === 0 ? formatPlan(steps) : `plan:\n${formatPlan(steps)}`, { config: found.origin, steps });
            return;
          }
          const result = await applyConfig(ctx, found.config, { progress, signal: cancel.signal });
          progress.end();
          const took = `${((performance.now() - started) / 1000).toFixed(2)}s`;
          emit(opts, result.steps.length === 0 ? `${formatPlan([])} (${took})` : `applied in ${took}:\n${formatPlan(result.steps)}`, {
            config: found.origin,
            steps: result.steps,
            publishes: result.publishes.map((p) => ({ prefix: p.prefix, dist: p.dist, snapshot: p.source.name })),
            seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
          });
        } finally {
          progress.end();
          cancel.dispose();
        }
      }),
    );
}
