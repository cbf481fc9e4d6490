/**
 * Guard for lab tests: `if (!(await requireLab(t, ['bird']))) return;`
 *
 * When the lab cannot run (not root, `ip` or a daemon binary missing, namespaces refused)
 * the test is skipped with the reason — except under CI (`CI=true`), where a skipped
 * interop test would hide that nothing ran, so the test fails instead.
 */
import type { TestContext } from 'node:test';
import { DAEMON_BINARIES } from './daemons.js';
import type { RouterKind } from './daemons.js';
import { findExecutable, run } from './exec.js';
import { checkLabPrerequisites } from './lab.js';

let namespaceProbe: Promise<string | undefined> | undefined;

/** Creates and deletes one throw-away namespace, once per process: root in a container may still be refused. */
function probeNamespaces(): Promise<string | undefined> {
  namespaceProbe ??= (async () => {
    const name = `ag-${process.pid}-prbe-probe`;
    try {
      await run(['ip', 'netns', 'add', name]);
    } catch (error) {
      return `cannot create network namespaces: ${error instanceof Error ? error.message : String(error)}`;
    }
    await run(['ip', 'netns', 'del', name], { allowFailure: true });
    return undefined;
  })();
  return namespaceProbe;
}

/** Why the lab cannot run with these daemons, or undefined when it can. */
export async function labUnavailableReason(
  daemons: readonly (RouterKind | 'exabgp')[] = [],
): Promise<string | undefined> {
  try {
    checkLabPrerequisites();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const missing = daemons.flatMap((d) => DAEMON_BINARIES[d]).filter((bin) => !findExecutable(bin));
  if (missing.length > 0) return `missing daemon binaries: ${missing.join(', ')}`;
  return probeNamespaces();
}

/** True when the test may go on; otherwise skips it (or, under CI, throws so it fails). */
export async function requireLab(
  t: TestContext,
  daemons: readonly (RouterKind | 'exabgp')[] = [],
): Promise<boolean> {
  const reason = await labUnavailableReason(daemons);
  if (reason === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`lab test cannot run under CI: ${reason}`);
  t.skip(reason);
  return false;
}
