/**
 * The one event stream long jobs report through. The CLI draws it (a bar on a TTY, JSON lines
 * otherwise), the API exposes it as a task's progress; the jobs never print themselves.
 */
export type ProgressEvent =
  | { readonly type: 'phase'; readonly phase: string; readonly message: string }
  | {
      readonly type: 'progress';
      readonly phase: string;
      readonly done: number;
      readonly total: number;
      readonly bytesDone: number;
      readonly bytesTotal: number;
    }
  | { readonly type: 'warning'; readonly message: string; readonly code?: string };

export type ProgressSink = (event: ProgressEvent) => void;

export const silentProgress: ProgressSink = () => undefined;
