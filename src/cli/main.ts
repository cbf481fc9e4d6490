#!/usr/bin/env node
/** The anycast-guard command line. */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';
import { runCheckConfig } from './check-config.js';
import { DEFAULT_CONFIG_PATH } from '../config/index.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { version: string };

const program = new Command()
  .name('anycast-guard')
  .description('Announce anycast prefixes over BGP only while their services are healthy.')
  .version(packageJson.version);

program
  .command('demo')
  .description(
    'run the embedded BGP speaker against a built-in collector on loopback (no router, no root)',
  )
  .option('--port <port>', 'collector port (0 picks a free one)', parsePort, 0)
  .action(async (options: { port: number }) => {
    await runDemo({ port: options.port, print: (line) => console.log(line) });
  });

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('must be 0 to 65535');
  return port;
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
