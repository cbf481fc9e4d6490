export * from './service-health.js';
export * from './desired-routes.js';
