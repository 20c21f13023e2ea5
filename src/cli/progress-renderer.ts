import { formatBytes, formatDuration } from '../model/human-units.js';
import type { ProgressEvent, ProgressSink } from '../model/progress.js';


/**
 * Draws progress on stderr: a redrawn bar when stderr is a terminal, one JSON object per line
 * otherwise (CI logs, --json), so stdout stays free for the command's result.
 */
export function progressRenderer(options: { readonly quiet: boolean; readonly tty?: boolean; readonly stream?: NodeJS.WriteStream }): ProgressSink & { end(): void } {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  let barShown = false;
  let lastDraw = 0;
  let started = 0;

  const clearBar = (): void => {
    if (barShown) stream.write('\r\x1b[2K');
    barShown = false;
  };

  const sink = (e: ProgressEvent): void => {
    if (!tty) {
      if (!options.quiet || e.type === 'warning') stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
      return;
    }
    if (e.type === 'warning') {
      clearBar();
      stream.write(`warning: ${e.message}\n`);
      return;
    }
    if (options.quiet) return;
    if (e.type === 'phase') {
      clearBar();
      stream.write(`${e.message}\n`);
      started = Date.now();
      return;
    }
    const now = Date.now();
    if (now - lastDraw < 100 && e.done < e.total) return;
    lastDraw = now;
    const width = 30;
    const fraction = e.bytesTotal > 0 ? e.bytesDone / e.bytesTotal : e.total > 0 ? e.done / e.total : 1;
    const filled = Math.round(fraction * width);
    const elapsed = (now - started) / 1000;
    const rate = elapsed > 0 ? e.bytesDone / elapsed : 0;
    const eta = rate > 0 ? (e.bytesTotal - e.bytesDone) / rate : NaN;
    stream.write(
      `\r\x1b[2K${e.phase} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${e.done}/${e.total}  ` +
        `${formatBytes(e.bytesDone)}/${formatBytes(e.bytesTotal)}  ${formatBytes(rate)}/s  ETA ${formatDuration(eta)}`,
    );
    barShown = true;
  };
  return Object.assign(sink, { end: clearBar });
}
