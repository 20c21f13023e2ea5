import type { ServerResponse } from 'node:http';
import type { TaskEvent, TaskRegistry } from '../../model/task-registry.js';

/** A comment line now and then keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/**
 * `GET /api/tasks/ID/events`: the task's events as Server-Sent Events (`event: phase|progress|
 * warning|state|end`, `data:` the event as JSON), from the ones so far to the final `end`,
 * which carries the finished task; then the stream closes. Resolves when the stream is over.
 */
export async function streamTaskEvents(tasks: TaskRegistry, id: string, res: ServerResponse): Promise<void> {
  await tasks.get(id);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  let seq = 0;
  return new Promise<void>((resolve) => {
    let stop: () => void = () => undefined;
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    const done = (): void => {
      clearInterval(keepalive);
      stop();
      resolve();
    };
    const send = (e: TaskEvent): void => {
      res.write(`id: ${++seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      if (e.type === 'end') {
        res.end();
        done();
      }
    };
    res.on('close', done);
    void tasks.subscribe(id, send).then(
      (unsubscribe) => {
        stop = unsubscribe;
        if (res.writableEnded) stop();
      },
      () => {
        res.end();
        done();
      },
    );
  });
}
