/** The [bgp] table after validation: the speaker's identity and its peers. */
import type { PeerOptions } from './speaker.js';

export interface BgpConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly holdTime?: number;
  readonly listen?: { readonly host?: string; readonly port?: number };
  readonly peers: readonly PeerOptions[];
}
