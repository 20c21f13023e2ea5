import { authHeaders } from './api';
import type { Task } from './types';

export interface TaskEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/**
 * Follows GET /api/tasks/ID/events. Not EventSource: that cannot send an Authorization
 * header, and the token must not go into the URL. Resolves with the finished task.
 */
export async function followTask(id: string, onEvent: (e: TaskEvent) => void, signal?: AbortSignal): Promise<Task> {
  const res = await fetch(`/api/tasks/${encodeURIComponent(id)}/events`, { headers: { accept: 'text/event-stream', ...authHeaders() }, ...(signal ? { signal } : {}) });
  if (!res.ok || res.body === null) throw new Error(`task events: HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      const parsed = JSON.parse(data.join('\n')) as Record<string, unknown>;
      onEvent({ type, data: parsed });
      if (type === 'end') {
        await reader.cancel().catch(() => undefined);
        return parsed.task as Task;
      }
    }
  }
  throw new Error('the task event stream ended before the task did');
}
