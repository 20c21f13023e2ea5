import { Command } from 'commander';
import { applyConfig } from '../../config/apply-config.js';
import { findConfig } from '../../config/find-config.js';
import { formatPlan, formatWarnings } from '../../config/format-plan.js';
import { planApply } from '../../config/plan-apply.js';
import { longJob } from '../long-job.js';
import { emit, result } from '../output.js';
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
        const started = performance.now();
        if (o.plan === true) {
          const { steps, warnings } = await longJob(true, (io) => planApply(ctx, found.config, io));
          result(opts, [steps.length === 0 ? formatPlan(steps) : `plan:\n${formatPlan(steps)}`, ...formatWarnings(warnings)], { config: found.origin, steps, warnings });
          return;
        }
        const applied = await longJob(opts.quiet, (io) => applyConfig(ctx, found.config, io));
        const seconds = (performance.now() - started) / 1000;
        const took = `${seconds.toFixed(2)}s`;
        emit(opts, [applied.steps.length === 0 ? `${formatPlan([])} (${took})` : `applied in ${took}:\n${formatPlan(applied.steps)}`, ...formatWarnings(applied.warnings)], {
          config: found.origin,
          steps: applied.steps,
          warnings: applied.warnings,
          publishes: applied.publishes.map((p) => ({ prefix: p.prefix, dist: p.dist, snapshot: p.source.name })),
          seconds: Number(seconds.toFixed(3)),
        });
      }),
    );
}
