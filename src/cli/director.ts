/**
 * `anycast-guard director --config FILE`: a director in the foreground.
 *
 * SIGTERM / SIGINT: close the API and exit 0. SIGHUP: re-read the trusted keys file
 * and, with [tls], the certificate, key and CA files (open connections are kept; a
 * bad file is logged and the running keys or certificate kept).
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { Logger } from 'pino';
import { systemClock } from '../clock/index.js';
import {
  Director,
  DirectorServer,
  isPlainRemote,
  loadClientTls,
  loadDirectorConfig,
  loadPrivateKey,
  loadTrustedKeys,
  type ClientTls,
  type DirectorConfig,
  type DirectorServerTls,
} from '../director/index.js';
import { createDaemonLogger } from '../log/index.js';
import { runKeysGenerate, runKeysPublic } from './keys.js';
import { runLocate } from './locate.js';
import { errorMessage } from '../util/index.js';

export interface DirectorRunOptions {
  readonly config: string;
  readonly logLevel?: string;
}

export async function runDirector(options: DirectorRunOptions): Promise<void> {
  const config = await loadDirectorConfig(options.config);
  const logger: Logger = createDaemonLogger({ level: options.logLevel ?? config.logLevel });
  const key = await loadPrivateKey(config.keyFile);
  const trusted = await loadTrustedKeys(config.trustedKeys);
  let tls = await loadTls(config);
  const director = new Director({
    name: config.name,
    advertiseUrl: config.advertiseUrl,
    key,
    trusted,
    peers: config.peers,
    ...(config.discoveryUrl === undefined ? {} : { discoveryUrl: config.discoveryUrl }),
    discoverPeers: config.discoverPeers,
    intervalMs: config.intervalMs,
    adLifetimeMs: config.adLifetimeMs,
    maxAds: config.maxAds,
    skewAllowanceMs: config.clockSkewMs,
    requestTimeoutMs: config.timeoutMs,
    services: config.services,
    sites: config.sites,
    clock: systemClock,
    log: logger.child({ component: 'director' }),
    tls: () => tls?.client,
  });
  const server = new DirectorServer({
    director,
    host: config.listen.host,
    port: config.listen.port,
    log: logger.child({ component: 'director-api' }),
    ...(tls === undefined ? {} : { tls: tls.server }),
  });
  // Listening first: peers that probe this director at once find it.
  await server.start();
  logger.info(
    {
      event: 'director.listening',
      name: config.name,
      listen: server.address,
      url: config.advertiseUrl,
      trustedKeys: trusted.size,
      tls: tls !== undefined,
      mutualTls: tls?.server.clientCa !== undefined,
    },
    'director listening',
  );
  if (tls === undefined && !isLoopbackHost(config.listen.host))
    logger.warn(
      { event: 'director.plain_http', listen: config.listen },
      'serving plain HTTP on a non-loopback address: set [tls] cert_file and key_file',
    );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ event: 'director.stopping', signal }, 'director stopping');
    director.stop();
    void server.stop().then(() => {
      logger.flush();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    if (tls !== undefined)
      loadTls(config).then(
        (next) => {
          if (next === undefined) return;
          server.reloadTls(next.server);
          tls = next;
          logger.info({ event: 'director.tls_reloaded' }, 'SIGHUP: certificate reloaded');
        },
        (error: unknown) =>
          logger.error(
            { event: 'director.tls_reload_failed', err: errorMessage(error) },
            'SIGHUP: keeping the running certificate',
          ),
      );
    loadTrustedKeys(config.trustedKeys).then(
      (keys) => {
        director.setTrustedKeys(keys);
        logger.info(
          { event: 'director.keys_reloaded', trustedKeys: keys.size },
          'SIGHUP: trusted keys reloaded',
        );
      },
      (error: unknown) =>
        logger.error(
          { event: 'director.keys_reload_failed', err: errorMessage(error) },
          'SIGHUP: keeping the running trusted keys',
        ),
    );
  });
  await director.start();
}

/** The server's certificate and key, and what its own requests to peers verify with. */
async function loadTls(
  config: DirectorConfig,
): Promise<{ server: DirectorServerTls; client: ClientTls } | undefined> {
  const files = config.tls;
  if (files === undefined) return undefined;
  const [own, clientCa] = await Promise.all([
    loadClientTls({
      certFile: files.certFile,
      keyFile: files.keyFile,
      ...(files.caFile === undefined ? {} : { caFile: files.caFile }),
    }),
    files.clientCaFile === undefined ? undefined : readFile(files.clientCaFile, 'utf8'),
  ]);
  const server: DirectorServerTls = {
    cert: own.cert ?? '',
    key: own.key ?? '',
    ...(clientCa === undefined ? {} : { clientCa }),
  };
  // Its own certificate doubles as the client certificate peers with mutual TLS ask for.
  return { server, client: own };
}

/** Registers `director`, `locate` and `keys` on the command line (src/cli/main.ts). */
export function registerDirectorCommands(program: Command): void {
  program
    .command('director')
    .description(
      'run a director: the replicated registry of nodes that tells clients which node to use',
    )
    .requiredOption('-c, --config <path>', 'director configuration file')
    .option('--log-level <level>', 'override log.level from the configuration')
    .action(async (options: { config: string; logLevel?: string }) => {
      await runDirector({
        config: options.config,
        ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
      });
    });

  program
    .command('locate')
    .description(
      'ask the directors which URLs to use for a service, best first; the anycast URL when none answers',
    )
    .argument('<service>', 'the service name')
    .option('--discovery <url>', 'the federation discovery document (…/.well-known/anycast-guard)')
    .option('--director <url>', 'a director to ask (repeatable)', collect, [] as string[])
    .option('--anycast <url>', 'the anycast URL, for when the discovery document cannot be read')
    .option('--prefer-anycast', 'put the anycast URL first')
    .option('--client <ip>', 'rank for this client address instead of this host')
    .option('--timeout <ms>', 'per-director timeout in milliseconds', positiveInt, 1000)
    .option(
      '--ca-file <path>',
      'verify https:// directors with this CA instead of the system store',
    )
    .option('--cert-file <path>', 'a client certificate, for directors that ask for one')
    .option('--key-file <path>', "the client certificate's key")
    .option('--json', 'print the whole answer as JSON')
    .action(
      async (
        service: string,
        options: {
          discovery?: string;
          director: string[];
          anycast?: string;
          preferAnycast?: boolean;
          client?: string;
          timeout: number;
          json?: boolean;
          caFile?: string;
          certFile?: string;
          keyFile?: string;
        },
      ) => {
        await runLocate(
          service,
          {
            ...options,
            director: options.director,
          },
          (text) => console.log(text),
          (text) => console.error(text),
        );
      },
    );

  const keys = program.command('keys').description('Ed25519 keys that sign ads');
  keys
    .command('generate')
    .description('write a new private key (0600) and print its line for the trusted keys file')
    .requiredOption('--out <path>', 'where to write the private key (never overwritten)')
    .requiredOption('--role <role>', '"node" or "director"')
    .requiredOption('--origin <name>', 'the node or director name it signs for')
    .action(async (options: { out: string; role: string; origin: string }) => {
      await runKeysGenerate(options.out, options, (text) => console.log(text));
    });
  keys
    .command('public')
    .description("print an existing key's line for the trusted keys file")
    .requiredOption('--key <path>', 'the private key (PEM)')
    .requiredOption('--role <role>', '"node" or "director"')
    .requiredOption('--origin <name>', 'the node or director name it signs for')
    .action(async (options: { key: string; role: string; origin: string }) => {
      await runKeysPublic(options.key, options, (text) => console.log(text));
    });
}

function isLoopbackHost(host: string): boolean {
  return !isPlainRemote(`http://${host.includes(':') ? `[${host}]` : host}/`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 600_000)
    throw new InvalidArgumentError('must be a whole number of milliseconds from 1 to 600000');
  return n;
}
