#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * The anycast-guard command line.
 *
 * The node flag on the first line caps V8's young generation at 2 MB per semi-space
 * (default 16): a daemon's garbage comes in bursts (a config load, a full-table send), and
 * with the default the heap took 25-40 MB of headroom for them (bench/README.md, issue
 * 19), for no time measured. `env -S` passes it on (GNU coreutils 8.30, FreeBSD, macOS);
 * NODE_OPTIONS can add more. test/lab/speaker-client.ts reads this line to run the
 * transfer benchmark's speaker with the same flags.
 *
 * Each command's module is imported when that command runs, not here: the daemon
 * (`run`) is a long-lived process whose RSS counts, and the modules of demo, import,
 * status and drain would only sit in it.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { ApiTargetOptions } from './api-client.js';
import { DEFAULT_API_SOCKET, DEFAULT_CONFIG_PATH } from '../config/index.js';
import { registerDirectorCommands } from './director.js';
import { errorMessage } from '../util/index.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { version: string };

const program = new Command()
  .name('anycast-guard')
  .description('Announce anycast prefixes over BGP only while their services are healthy.')
  .version(packageJson.version);

program
  .command('run')
  .description('run the daemon in the foreground: check services, announce the healthy ones')
  .option('-c, --config <path>', 'configuration file', DEFAULT_CONFIG_PATH)
  .option('--log-level <level>', 'override log.level from the configuration')
  .action(async (options: { config: string; logLevel?: string }) => {
    const { runDaemon } = await import('./run.js');
    await runDaemon({
      config: options.config,
      ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
    });
  });

program
  .command('demo')
  .description(
    'a service, the daemon and a BGP collector on loopback: break and mend the service, watch the route (no router, no root)',
  )
  .option('--hold-down <seconds>', 'hold-down after the service recovers', parseSeconds, 3)
  .option('--scripted', 'run the scripted break-and-mend even on a terminal')
  .action(async (options: { holdDown: number; scripted?: boolean }) => {
    const { runDemo } = await import('./demo.js');
    await runDemo({
      print: (line) => console.log(line),
      interactive: process.stdin.isTTY && options.scripted !== true,
      holdDown: options.holdDown,
    });
  });

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new InvalidArgumentError('must be 0 to 3600 seconds');
  }
  return seconds;
}

program
  .command('check-config')
  .description(
    'check the configuration file and print what it configures; exit 1 if it is not valid',
  )
  .option('-c, --config <path>', 'configuration file', DEFAULT_CONFIG_PATH)
  .action(async (options: { config: string }) => {
    const { runCheckConfig } = await import('./check-config.js');
    process.exitCode = await runCheckConfig({
      config: options.config,
      print: (text) => console.log(text),
      printError: (text) => console.error(text),
    });
  });

const importCommand = program
  .command('import')
  .description("convert another tool's configuration into anycast-guard's");

importCommand
  .command('anycast-healthchecker')
  .description(
    'convert an anycast-healthchecker configuration ([daemon] file, service .conf files or their directory) into anycast-guard TOML',
  )
  .argument('<path...>', 'anycast-healthchecker.conf, service .conf files, or a directory of them')
  .option('-o, --output <file>', 'write the TOML here instead of stdout')
  .option('--force', 'replace the --output file if it exists')
  .action(async (paths: string[], options: { output?: string; force?: boolean }) => {
    const { runImportAnycastHealthchecker } = await import('./import.js');
    process.exitCode = await runImportAnycastHealthchecker({
      paths,
      ...(options.output === undefined ? {} : { output: options.output }),
      force: options.force === true,
      print: (text) => console.log(text),
      printError: (text) => console.error(text),
    });
  });

importCommand
  .command('exabgp-healthcheck')
  .description(
    'convert ExaBGP healthcheck command lines (the healthcheck processes of exabgp.conf, or one given after --) into anycast-guard services announced through ExaBGP',
  )
  .argument('[args...]', 'after --: the healthcheck options, its command, or its whole run line')
  .option(
    '-f, --file <exabgp.conf>',
    'convert every healthcheck process of this exabgp.conf (repeatable)',
    (value: string, previous: string[]) => [...previous, value],
    [] as string[],
  )
  .option('-o, --output <file>', 'write the TOML here instead of stdout')
  .option('--force', 'replace the --output file if it exists')
  .action(async (args: string[], options: { file: string[]; output?: string; force?: boolean }) => {
    const { runImportExabgpHealthcheck } = await import('./import.js');
    process.exitCode = await runImportExabgpHealthcheck({
      files: options.file,
      args,
      ...(options.output === undefined ? {} : { output: options.output }),
      force: options.force === true,
      print: (text) => console.log(text),
      printError: (text) => console.error(text),
    });
  });

/**
 * --config, --socket, --url and --token-file, shared by the commands that talk to a running
 * daemon: a flag wins, the rest comes from the file's [api] (resolveApiTarget).
 */
function apiCommand(name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option(
      '-c, --config <path>',
      `find the daemon from this configuration's [api] (default ${DEFAULT_CONFIG_PATH} when it exists)`,
    )
    .option('--socket <path>', `the daemon's unix socket (default ${DEFAULT_API_SOCKET})`)
    .option('--url <url>', 'talk HTTP to this address instead, e.g. http://127.0.0.1:9180')
    .option('--token-file <path>', 'bearer token for --url (needed to drain over TCP)');
}

apiCommand('status', "show the running daemon's services and BGP peers")
  .option('--json', "print the API's JSON")
  .action(async (options: ApiTargetOptions & { json?: boolean }) => {
    const [{ runStatus }, { resolveApiTarget }] = await Promise.all([
      import('./status.js'),
      import('./api-client.js'),
    ]);
    await runStatus(await resolveApiTarget(options), {
      json: options.json === true,
      print: (text) => console.log(text),
    });
  });

apiCommand('drain', "withdraw a service's prefixes and keep them withdrawn, across restarts")
  .argument('<service>', 'the service name')
  .requiredOption('--reason <text>', 'why (shown in status and logs)')
  .option(
    '--graceful',
    'first announce them with GRACEFUL_SHUTDOWN (65535:0, RFC 8326) for --wait seconds, so routers move to other paths before the withdrawal',
  )
  .option('--wait <seconds>', 'how long a graceful drain keeps them (default 30)', parseSeconds)
  .option('--wait-until-withdrawn', 'return only once the withdrawal went out')
  .action(
    async (
      service: string,
      options: ApiTargetOptions & {
        reason: string;
        graceful?: boolean;
        wait?: number;
        waitUntilWithdrawn?: boolean;
      },
    ) => {
      if (options.wait !== undefined && options.graceful !== true)
        throw new InvalidArgumentError('--wait is for a graceful drain: add --graceful');
      const [{ runDrain }, { resolveApiTarget }] = await Promise.all([
        import('./drain.js'),
        import('./api-client.js'),
      ]);
      await runDrain(
        await resolveApiTarget(options),
        service,
        options.reason,
        (text) => console.log(text),
        {
          ...(options.graceful === true
            ? { graceful: options.wait === undefined ? {} : { wait: options.wait } }
            : {}),
          untilWithdrawn: options.waitUntilWithdrawn === true,
        },
      );
    },
  );

apiCommand('undrain', 'announce a drained service again once it is healthy')
  .argument('<service>', 'the service name')
  .action(async (service: string, options: ApiTargetOptions) => {
    const [{ runUndrain }, { resolveApiTarget }] = await Promise.all([
      import('./drain.js'),
      import('./api-client.js'),
    ]);
    await runUndrain(await resolveApiTarget(options), service, (text) => console.log(text));
  });

registerDirectorCommands(program);

program.parseAsync().catch((error: unknown) => {
  const message = errorMessage(error);
  // "anycast-guard is not running (…)" names itself already.
  console.error(message.startsWith('anycast-guard ') ? message : `anycast-guard: ${message}`);
  process.exitCode = 1;
});
