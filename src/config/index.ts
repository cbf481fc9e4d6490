/**
 * The configuration: read a TOML file, check every key, and produce the
 * DaemonConfig the daemon runs from, or one ConfigError listing each problem
 * at its key path.
 */
import { checkTypes } from '../checks/index.js';
import type { CheckTypeRegistry } from './checks.js';
import { loadConfigWith, parseConfigWith } from './parse.js';
import type { DaemonConfig } from './types.js';

export type * from './types.js';
export {
  ConfigError,
  formatIssues,
  MAX_CONFIG_BYTES,
  type ConfigErrorCode,
  type ConfigIssue,
} from '../validation/index.js';
export { describeConfig } from './describe.js';
export { parseIsoDuration } from './duration.js';
export {
  DEFAULT_API_LISTEN,
  DEFAULT_API_SOCKET,
  DEFAULT_CONFIG_PATH,
  DEFAULT_STATE_DIR,
  loadApiConfig,
} from './parse.js';
export type { CheckTypeRegistry, ConfigCheckType } from './checks.js';

export interface ConfigOptions {
  /** The check types to accept. Default: every type in src/checks. */
  readonly checkTypes?: CheckTypeRegistry;
  /** The file's size cap in bytes (default 1 MiB): a larger one is refused unread. */
  readonly maxBytes?: number;
}

/**
 * Parses and checks a configuration; `source` names it in messages (the file path).
 * Throws ConfigError: code CONFIG_TOO_LARGE, CONFIG_SYNTAX (not TOML) or CONFIG_INVALID,
 * with its issues (the first 50, then a count of the rest).
 */
export function parseConfig(
  text: string,
  source: string,
  options: ConfigOptions = {},
): DaemonConfig {
  return parseConfigWith(text, source, {
    ...options,
    checkTypes: options.checkTypes ?? checkTypes,
  });
}

/**
 * Reads and parses a file. A missing or unreadable file is a ConfigError
 * (CONFIG_UNREADABLE), one over the size cap CONFIG_TOO_LARGE, refused before parsing.
 */
export function loadConfig(path: string, options: ConfigOptions = {}): Promise<DaemonConfig> {
  return loadConfigWith(path, { ...options, checkTypes: options.checkTypes ?? checkTypes });
}
export { addressSettings } from './addresses.js';
