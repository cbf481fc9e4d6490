/**
 * `anycast-guard check-config [--config PATH]`: reads and checks the
 * configuration the way the daemon would, without starting anything. Prints the
 * summary and exits 0, or prints every problem to stderr and exits 1.
 */
import { ConfigError, describeConfig, loadConfig } from '../config/index.js';

export interface CheckConfigOptions {
  readonly config: string;
  /** Where the summary goes (stdout). */
  readonly print: (text: string) => void;
  /** Where the problems go (stderr). */
  readonly printError: (text: string) => void;
}

/** Returns the exit code: 0 valid, 1 not. */
export async function runCheckConfig(options: CheckConfigOptions): Promise<number> {
  try {
    const config = await loadConfig(options.config);
    options.print(describeConfig(config));
    options.print(`${options.config}: configuration is valid`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    options.printError(error.message);
    if (error.excerpt !== undefined) options.printError(error.excerpt.trimEnd());
    const count = error.issues.length;
    options.printError(
      `${options.config}: configuration is not valid (${count} problem${count === 1 ? '' : 's'})`,
    );
    return 1;
  }
}
