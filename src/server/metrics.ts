import type { Context } from '../model/context.js';

/**
 * Prometheus metrics of one server process. STUB: the server-infra work fills it in; the
 * signatures are the contract the API, `up` and the static path use.
 */
export class Metrics {
  /** One HTTP request answered: route is a template ("/api/mirrors/:name"), not the raw path. */
  observeRequest(_route: string, _status: number, _bytes: number): void {}
  /** A task (mirror update, publish) finished. */
  observeTask(_kind: string, _seconds: number, _ok: boolean): void {}
  /** A gauge set by whoever knows its value (e.g. `up`'s last refresh). */
  setGauge(_name: string, _help: string, _value: number, _labels?: Readonly<Record<string, string>>): void {}
  /** The Prometheus text exposition, including what is read from the store at scrape time. */
  async render(_ctx: Context): Promise<string> {
    return '';
  }
}
