#!/usr/bin/env node
/** The anycast-guard command line. */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';
import { runCheckConfig } from './check-config.js';
import { DEFAULT_CONFIG_PATH } from '../config/index.js';
import { runDaemon } from './run.js';

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
    process.exitCode = await runCheckConfig({
      config: options.config,
      print: (text) => console.log(text),
      printError: (text) => console.error(text),
    });
  });

program.parseAsync().catch((error: unknown) => {
  console.error(`anycast-guard: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
