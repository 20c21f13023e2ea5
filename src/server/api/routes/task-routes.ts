import { ok, route, type ApiRoute } from '../api-route.js';
import { streamTaskEvents } from '../task-event-stream.js';

/** Tasks: the long operations started by other routes. */
export const TASK_ROUTES: readonly ApiRoute[] = [
  route({
    method: 'GET',
    path: '/api/tasks',
    scope: 'read',
    tag: 'tasks',
    summary: 'Recent tasks, newest first (kept in memory)',
    handler: async ({ services }) => ok(services.tasks.list()),
  }),
  route({
    method: 'GET',
    path: '/api/tasks/{id}',
    scope: 'read',
    tag: 'tasks',
    summary: 'A task: state, progress, and its result or error',
    handler: async ({ params, services }) => ok({ task: services.tasks.get(params.id ?? '') }),
  }),
  route({
    method: 'GET',
    path: '/api/tasks/{id}/events',
    scope: 'read',
    tag: 'tasks',
    summary: "A task's progress as Server-Sent Events, ending with an end event that carries the finished task",
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
    summary: 'Cancel a task (a queued one never starts; a running one stops and keeps nothing)',
    handler: async ({ params, services }) => ok({ task: services.tasks.cancel(params.id ?? '') }),
  }),
];
