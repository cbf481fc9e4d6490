/**
 * How long a bad configuration takes to refuse (issue 12, item 3): a long value, many
 * unknown keys, a file over the size cap. Run with the build to measure, or point
 * --dist at another build's dist/ to compare (e.g. before the bounds):
 *
 *   node dist/bench/config-bounds.js [--dist /path/to/other/dist] [--mb 1]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { textTable } from './stats.js';

interface ConfigModule {
  parseConfig(text: string, source: string, options?: { maxBytes?: number }): unknown;
  loadConfig(path: string): Promise<unknown>;
}

const { values } = parseArgs({
  options: { dist: { type: 'string' }, mb: { type: 'string', default: '1' } },
});
const dist =
  values.dist === undefined
    ? new URL('..', import.meta.url)
    : pathToFileURL(`${resolve(values.dist)}/`);
const config = (await import(new URL('src/config/index.js', dist).href)) as ConfigModule;
const megabytes = Number(values.mb);

const head = `
[services.web]
prefixes = ["203.0.113.53"]
announce = "always"
`;

async function time(what: string, run: () => unknown): Promise<string[]> {
  const started = performance.now();
  let result = 'accepted';
  try {
    await run();
  } catch (error) {
    const issues = (error as { issues?: unknown[] }).issues;
    const message = (error as Error).message;
    result = `${issues?.length ?? '?'} issues, ${message.length} characters`;
  }
  return [what, `${(performance.now() - started).toFixed(0)} ms`, result];
}

const size = Math.round(megabytes * 1024 * 1024);
const raise = { maxBytes: 1024 * 1024 * 1024 };
const rows: string[][] = [['case', 'time', 'result']];
rows.push(
  await time(`log.level of ${megabytes} MB`, () =>
    config.parseConfig(`${head}[log]\nlevel = "${'x'.repeat(size)}"\n`, 'bench.toml', raise),
  ),
);
const keys = Array.from({ length: 100_000 }, (_, i) => `k${i} = 1`).join('\n');
rows.push(
  await time('100,000 unknown keys', () =>
    config.parseConfig(`${keys}\n${head}`, 'bench.toml', raise),
  ),
);
const dir = await mkdtemp(join(tmpdir(), 'anycast-guard-bench-'));
try {
  const path = join(dir, 'big.toml');
  await writeFile(path, `${head}[log]\nlevel = "${'x'.repeat(size)}"\n`);
  rows.push(await time(`loadConfig, ${megabytes} MB file`, () => config.loadConfig(path)));
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(textTable(rows));
