/**
 * Reading an operator's file: key paths, the list of problems found (IssueList),
 * zod issues in the file's own words, "did you mean", and the shared zod building
 * blocks. Every area checks its own settings with these; the loader (src/config)
 * puts the areas together.
 */
export * from './errors.js';
export * from './issues.js';
export * from './schemas.js';
export { closest, didYouMean, editDistance } from './suggest.js';
