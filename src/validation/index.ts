/**
 * Reading an operator's file: key paths, the list of problems found (IssueList),
 * zod issues in the file's own words, "did you mean", and the shared zod building
 * blocks. Every area checks its own settings with these; the loader (src/config)
 * puts the areas together.
 */
export * from './errors.js';
export * from './issues.js';
export * from './schemas.js';
export {
  closest,
  didYouMean,
  editDistance,
  MAX_SUGGEST_CANDIDATES,
  MAX_SUGGEST_LENGTH,
} from './suggest.js';
export { checkTextSize, formatBytes, MAX_CONFIG_BYTES, readConfigFile } from './read-file.js';
export * from './special-prefix.js';
