/**
 * Configuration errors: every problem found in one file, each at the TOML key
 * path an operator can search for ("bgp.peers[0].hold_time"), so one run of
 * check-config shows them all.
 */

export type ConfigErrorCode =
  /** The file could not be read (missing, permissions, a directory). */
  | 'CONFIG_UNREADABLE'
  /** The file is over the size cap (refused before it is read or parsed). */
  | 'CONFIG_TOO_LARGE'
  /** The file is not valid TOML. */
  | 'CONFIG_SYNTAX'
  /** Valid TOML, but not a valid anycast-guard configuration. */
  | 'CONFIG_INVALID';

/** The stable kind of each code, for logs and programs (`<area>.<what>`). */
const CONFIG_ERROR_KINDS = {
  CONFIG_UNREADABLE: 'config.unreadable',
  CONFIG_TOO_LARGE: 'config.too_large',
  CONFIG_SYNTAX: 'config.syntax',
  CONFIG_INVALID: 'config.invalid',
} as const satisfies Record<ConfigErrorCode, string>;
export type ConfigErrorKind = (typeof CONFIG_ERROR_KINDS)[ConfigErrorCode];

export interface ConfigIssue {
  /** TOML key path, e.g. "services.dns.checks.http[0].timeout"; "" for the file as a whole. */
  readonly path: string;
  readonly message: string;
  /** 1-based; TOML syntax errors only. */
  readonly line?: number;
  readonly column?: number;
}

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly kind: ConfigErrorKind;
  /** The file (or label) the configuration came from. */
  readonly source: string;
  readonly issues: readonly ConfigIssue[];
  /** For syntax errors: the offending lines with a caret under the column. */
  readonly excerpt?: string;

  constructor(
    code: ConfigErrorCode,
    source: string,
    issues: readonly ConfigIssue[],
    options: { cause?: unknown; excerpt?: string } = {},
  ) {
    super(
      formatIssues(source, issues),
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = 'ConfigError';
    this.code = code;
    this.kind = CONFIG_ERROR_KINDS[code];
    this.source = source;
    this.issues = issues;
    if (options.excerpt !== undefined) this.excerpt = options.excerpt;
  }
}

/** "FILE: key.path: reason", one line per issue. */
export function formatIssues(source: string, issues: readonly ConfigIssue[]): string {
  return issues
    .map((issue) =>
      issue.path === ''
        ? `${source}: ${issue.message}`
        : `${source}: ${issue.path}: ${issue.message}`,
    )
    .join('\n');
}
