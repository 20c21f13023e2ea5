import { ok, route, type ApiRoute } from '../api-route.js';
import { streamTaskEvents } from '../task-event-stream.js';

/** Tasks: the long operations started by other routes. */
export const TASK_ROUTES: readonly ApiRoute[] = [
  route({
    method: 'GET',
    path: '/api/tasks',
    scope: 'read',
    tag: 'tasks',
    summary: 'Recent tasks of every process on the store, newest first (a task whose process died is marked failed)',
    handler: async ({ services }) => ok(await services.tasks.list()),
  }),
  route({
    method: 'GET',
    path: '/api/tasks/{id}',
    scope: 'read',
    tag: 'tasks',
    summary: 'A task: state, progress, and its result or error',
    handler: async ({ params, services }) => ok({ task: await services.tasks.get(params.id ?? '') }),
  }),
  route({
    method: 'GET',
    path: '/api/tasks/{id}/events',
    scope: 'read',
    tag: 'tasks',
    summary: "A task's progress as Server-Sent Events, ending with an end event that carries the finished task (another process's task: as its row shows it)",
    handler: async ({ params, res, services }) => {
      await streamTaskEvents(services.tasks, params.id ?? '', res);
      return { streamed: true };
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/tasks/{id}',
    scope: 'write',
    tag: 'tasks',
    summary: "Cancel a task (it stops and keeps nothing; another process's task stops within its heartbeat)",
    handler: async ({ params, services }) => ok({ task: await services.tasks.cancel(params.id ?? '') }),
  }),
];
