/** The operator API: status, drain and metrics over HTTP (docs/api.md). */
export {
  ApiServer,
  ApiError,
  type ApiDaemon,
  type ApiListeners,
  type ApiServerOptions,
} from './server.js';
export { DrainStore, DrainStoreError, DRAIN_FILE, type DrainRecord } from './drain-store.js';
export { Metrics } from './metrics.js';
export { statusView } from './status-view.js';
export type { CheckView, GuardView, PeerView, ServiceView, StatusView } from './status-view.js';
export {
  TransitionLog,
  TRANSITIONS_FILE,
  type TransitionLogOptions,
} from './dashboard-transitions.js';
