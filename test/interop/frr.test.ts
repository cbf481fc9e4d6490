/** Our speaker against a real FRRouting bgpd (scenario: harness.ts). */
import { test } from 'node:test';
import { ebgpSuite } from './harness.js';

test('interop with frr: eBGP, IPv4 + IPv6 over one IPv4 session', { timeout: 240_000 }, (t) =>
  ebgpSuite(t, 'frr'),
);
