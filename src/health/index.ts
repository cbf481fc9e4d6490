/** Health: checks' results → a service's state (rise/fall/hold-down/policy) → the routes wanted. */
export * from './service-health.js';
export * from './desired-routes.js';
export * from './route-target.js';
export type * from './settings.js';
export * from './fleet-guard-config.js';
