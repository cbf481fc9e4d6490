/**
 * Headless Chromium for the dashboard tests: Debian's /usr/bin/chromium with the flags
 * this machine needs (no sandbox as root; no background networking, whose connections
 * the closed network refuses), and a wait on what the page shows.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots land here (test-output/ at the repository's root). */
export const TEST_OUTPUT = join(import.meta.dirname, '../../../test-output');

/** A fresh headless Chromium with its profile in `dir`. */
export function launchChromium(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1200, height: 900 },
  });
}

/** Polls the page until the text of `selector` matches, or fails with what it last saw. */
export async function pageShows(
  page: Page,
  selector: string,
  pattern: RegExp,
  what: string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    last =
      (await page
        .locator(selector)
        .first()
        .textContent()
        .catch(() => null)) ?? '';
    if (pattern.test(last)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${what}: ${selector} shows "${last}", wanted ${String(pattern)}`);
}
