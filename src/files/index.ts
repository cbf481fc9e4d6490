/** Files written so a crash never leaves half of one: write a temporary file, fsync, rename. */
export * from './atomic-write.js';
