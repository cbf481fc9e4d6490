/**
 * Reading a configuration file: TOML → checked → DaemonConfig, or one
 * ConfigError listing every problem found, each at its key path.
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { parseBgpSettings } from '../bgp/index.js';
import { registryMap, type CheckTypeRegistry, type ConfigCheckType } from './checks.js';
import {
  checkTextSize,
  ConfigError,
  didYouMean,
  formatPath,
  IssueList,
  isTable,
  type KeyPath,
  MAX_CONFIG_BYTES,
  parseHostPort,
  readConfigFile,
  validate,
} from '../validation/index.js';
import { apiSchema, daemonSchema, logSchema } from './schema.js';
import { bgpPrefixesPath } from './prefixes.js';
import { checkAddressConfig } from '../addresses/index.js';
import { addressSettings } from './addresses.js';
import { buildService, type BuiltService } from './services.js';
import { buildAnnouncers } from './announcers.js';
import { buildDirectors } from '../director/index.js';
import type { ApiConfig, DaemonConfig } from './types.js';

export const DEFAULT_CONFIG_PATH = '/etc/anycast-guard/config.toml';
export const DEFAULT_API_LISTEN = '127.0.0.1:9180';
export const DEFAULT_API_SOCKET = '/run/anycast-guard/control.sock';
export const DEFAULT_STATE_DIR = '/var/lib/anycast-guard';

export interface ParseOptions {
  /** The check types to accept. */
  readonly checkTypes: CheckTypeRegistry;
  /** The size cap of the file, in bytes (default MAX_CONFIG_BYTES, 1 MiB). */
  readonly maxBytes?: number;
}

const ROOT_KEYS = ['log', 'bgp', 'services', 'api', 'announcers', 'directors', 'daemon'];

/**
 * Parses and checks a configuration. `source` names it in messages (the file path).
 * Throws ConfigError (code CONFIG_SYNTAX or CONFIG_INVALID).
 */
export function parseConfigWith(text: string, source: string, options: ParseOptions): DaemonConfig {
  const document = parseDocument(text, source, options.maxBytes);
  const issues = new IssueList();
  const registry: ReadonlyMap<string, ConfigCheckType> = registryMap(options.checkTypes);
  for (const key of Object.keys(document))
    if (!ROOT_KEYS.includes(key)) issues.add([key], `unknown key${didYouMean(key, ROOT_KEYS)}`);

  const log = validate(logSchema, document.log ?? {}, ['log'], issues);
  const api = validate(apiSchema, document.api ?? {}, ['api'], issues);
  const daemon = validate(daemonSchema, document.daemon ?? {}, ['daemon'], issues);
  const bgp = document.bgp === undefined ? undefined : parseBgpSettings(document.bgp, issues);
  const directors =
    document.directors === undefined ? undefined : buildDirectors(document.directors, issues);

  const built: BuiltService[] = [];
  const rawServices = document.services;
  if (rawServices === undefined || (isTable(rawServices) && Object.keys(rawServices).length === 0))
    issues.add(['services'], 'no services: add a [services.NAME] table with prefixes and checks');
  else if (!isTable(rawServices)) issues.add(['services'], 'must be a table of services');
  else
    for (const [name, raw] of Object.entries(rawServices)) {
      const service = buildService(name, raw, registry, issues, {
        hasDirectors: document.directors !== undefined,
      });
      if (service !== undefined) built.push(service);
      const bgpPath = isTable(raw)
        ? bgpPrefixesPath(raw.prefixes, ['services', name, 'prefixes'])
        : undefined;
      if (bgpPath !== undefined && document.bgp === undefined)
        issues.add(
          bgpPath,
          'these prefixes are announced by the embedded BGP speaker, which needs a [bgp] section (asn, router_id, [[bgp.peers]])',
        );
    }

  // A prefix belongs to one service: two would fight over announcing it.
  const owners = new Map<string, { service: string; path: KeyPath }>();
  for (const service of built) {
    service.config.prefixes.forEach((p, i) => {
      const key = `${p.announcer} ${p.prefix} ${p.vrf ?? ''}`;
      const path = service.prefixPaths[i]!;
      const owner = owners.get(key);
      if (owner !== undefined && owner.service !== service.config.name)
        issues.add(
          path,
          `${p.prefix} is also a prefix of service "${owner.service}" (${formatPath(owner.path)}); a prefix belongs to one service`,
        );
      else owners.set(key, { service: service.config.name, path });
    });
  }

  const announcers = buildAnnouncers(document.announcers, built, issues, document.services);

  for (const issue of checkAddressConfig(built.map((s) => addressSettings(s.config))))
    issues.add(['services', issue.service, ...issue.path], issue.message);

  if (issues.count > 0 || log === undefined || api === undefined || daemon === undefined)
    throw new ConfigError('CONFIG_INVALID', source, issues.items);
  return {
    source,
    ...(bgp === undefined ? {} : { bgp }),
    services: built.map((s) => s.config),
    log: { level: log.level ?? 'info' },
    api: buildApi(api),
    announcers,
    ...(directors === undefined ? {} : { directors }),
    daemon: { stopGrace: daemon.stop_grace ?? 0 },
  };
}

/** The file as TOML, under the size cap; a syntax error is a ConfigError with the line. */
function parseDocument(
  text: string,
  source: string,
  maxBytes = MAX_CONFIG_BYTES,
): Record<string, unknown> {
  checkTextSize(text, source, maxBytes);
  try {
    return parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
      throw new ConfigError(
        'CONFIG_SYNTAX',
        source,
        [
          {
            path: '',
            message: `invalid TOML at line ${error.line}, column ${error.column}: ${reason}`,
            line: error.line,
            column: error.column,
          },
        ],
        { cause: error, excerpt: error.codeblock },
      );
    }
    throw error;
  }
}

/**
 * Only the `[api]` table of a file, for the CLI commands that talk to a running daemon
 * (`status --config FILE`): where its socket, listener and token file are. The rest of
 * the file is not checked, so a file being edited still finds the daemon.
 */
export async function loadApiConfig(path: string): Promise<ApiConfig> {
  const document = parseDocument(await readConfigFile(path, MAX_CONFIG_BYTES), path);
  const issues = new IssueList();
  const api = validate(apiSchema, document.api ?? {}, ['api'], issues);
  if (api === undefined || issues.count > 0)
    throw new ConfigError('CONFIG_INVALID', path, issues.items);
  return buildApi(api);
}

function buildApi(raw: {
  listen?: string | false | undefined;
  socket?: string | false | undefined;
  token_file?: string | undefined;
  state_dir?: string | undefined;
}): ApiConfig {
  const listen = raw.listen ?? DEFAULT_API_LISTEN;
  return {
    // Validated by apiSchema, so parseHostPort succeeds.
    listen: listen === false ? false : parseHostPort(listen)!,
    socket: raw.socket ?? DEFAULT_API_SOCKET,
    ...(raw.token_file === undefined ? {} : { tokenFile: raw.token_file }),
    stateDir: raw.state_dir ?? DEFAULT_STATE_DIR,
  };
}

/**
 * Reads and parses a file; an unreadable file is a ConfigError (CONFIG_UNREADABLE) naming
 * the errno, a file over the size cap one (CONFIG_TOO_LARGE) naming its size and the cap.
 */
export async function loadConfigWith(path: string, options: ParseOptions): Promise<DaemonConfig> {
  const text = await readConfigFile(path, options.maxBytes ?? MAX_CONFIG_BYTES);
  return parseConfigWith(text, path, options);
}
