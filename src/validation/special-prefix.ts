/**
 * Address blocks that no operator means to announce as anycast, nor to bind as a
 * service address (RFC 6890 and its registries; RFC 1122 3.2.1.3 for 0.0.0.0/8 and
 * 255.255.255.255; RFC 3927 and RFC 4291 2.5.6 for link-local; RFC 5771 and RFC 4291
 * 2.7 for multicast; RFC 4291 2.5.2 and 2.5.3 for :: and ::1).
 * A default route (0.0.0.0/0, ::/0) is its own case: it is refused unless the service
 * opts in (allow_default_route), since announcing it draws every packet here.
 */
import ipaddr from 'ipaddr.js';

interface SpecialBlock {
  readonly block: string;
  /** Reads after "is": "224.0.0.1/32 is multicast (224.0.0.0/4)". */
  readonly what: string;
  readonly address: ipaddr.IPv4 | ipaddr.IPv6;
  readonly length: number;
}

const BLOCKS: readonly SpecialBlock[] = (
  [
    ['0.0.0.0/8', 'unspecified ("this network")'],
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'link-local'],
    ['224.0.0.0/4', 'multicast'],
    ['255.255.255.255/32', 'the limited broadcast address'],
    ['::/128', 'the unspecified address'],
    ['::1/128', 'loopback'],
    ['fe80::/10', 'link-local'],
    ['ff00::/8', 'multicast'],
  ] as const
).map(([block, what]) => {
  const [address, length] = ipaddr.parseCIDR(block);
  return { block, what, address, length };
});

export interface SpecialPrefix {
  /** Which kind: a default route can be allowed, the others never. */
  readonly kind: 'default-route' | 'special';
  /** Why, naming the prefix: "224.0.0.1/32 is multicast (224.0.0.0/4)". */
  readonly reason: string;
}

/**
 * Why `prefix` ("ADDRESS/LENGTH", or a bare address) is not one to announce or bind,
 * or undefined when it is an ordinary one (or does not parse: that is another message).
 * A prefix inside a special block is refused, and so is one that covers a block
 * (192.0.0.0/2 covers multicast): announcing it would draw that block's traffic too.
 */
export function specialPrefix(prefix: string): SpecialPrefix | undefined {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let length: number;
  try {
    [address, length] = prefix.includes('/')
      ? ipaddr.parseCIDR(prefix)
      : [ipaddr.parse(prefix), ipaddr.parse(prefix).kind() === 'ipv4' ? 32 : 128];
  } catch {
    return undefined;
  }
  if (length === 0) return { kind: 'default-route', reason: `${prefix} is a default route` };
  for (const block of BLOCKS) {
    if (block.address.kind() !== address.kind()) continue;
    if (length >= block.length && address.match(block.address, block.length))
      return { kind: 'special', reason: `${prefix} is ${block.what} (${block.block})` };
    if (length < block.length && block.address.match(address, length))
      return { kind: 'special', reason: `${prefix} covers ${block.what} (${block.block})` };
  }
  return undefined;
}
