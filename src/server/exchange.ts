/** What the request log and the metrics learn about one request while it is answered. */
export interface Exchange {
  readonly id: string;
  /** A template with few values ("/pool/*", "/api/*"), never the raw path: it labels metrics. */
  route: string;
  /** Body bytes sent. */
  bytes: number;
}
