export * from './constants.js';
export * from './errors.js';
export * from './prefix.js';
export type * from './types.js';
