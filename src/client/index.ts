/** The client side of directors: find a healthy node, with the anycast address as fallback. */
export * from './locate.js';
