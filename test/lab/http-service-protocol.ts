/**
 * The JSON-lines protocol between a test (HttpService, the parent) and the toggleable HTTP
 * service (http-service-process.ts, the child).
 *
 * stdin, one command per line:  {"id":1,"op":"break","mode":"refuse"}
 * stdout, one event per line:   {"event":"ready","port":8080,"at":1795456249232}
 *                               {"event":"reply","id":1,"ok":true,"at":1795456249301,"result":{...}}
 *
 * `at` is epoch ms from Date.now() (CLOCK_REALTIME), the clock BIRD's log timestamps use,
 * so the moment the service broke can be compared with the moment a router logged the
 * withdrawal.
 */

/**
 * How a broken service fails its health checks:
 * - refuse: the listener is closed and open connections destroyed (connection refused, as
 *   when the process died);
 * - error: requests are answered 503;
 * - hang: connections are accepted, requests never answered (until mended).
 */
export type BreakMode = 'refuse' | 'error' | 'hang';

export interface HttpServiceStats {
  healthy: boolean;
  mode?: BreakMode;
  /** Requests answered 200 / 503, and requests left hanging. */
  ok: number;
  errors: number;
  hung: number;
  /**
   * Epoch ms of the first request answered 503 (error) or left hanging (hang) since the
   * last break: when a health check first saw the failure. Never set in refuse mode (a
   * refused connection never reaches the service).
   */
  firstFailAt?: number;
}

export type HttpServiceCommand =
  | { id: number; op: 'break'; mode: BreakMode }
  | { id: number; op: 'mend' }
  | { id: number; op: 'stats' };

export type HttpServiceEvent =
  | { event: 'ready'; port: number; at: number }
  | { event: 'reply'; id: number; ok: true; at: number; result: HttpServiceStats }
  | { event: 'reply'; id: number; ok: false; at: number; error: string };
