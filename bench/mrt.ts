/**
 * A minimal MRT TABLE_DUMP_V2 writer (RFC 6396 section 4.3) for `gobgp mrt inject`:
 * one peer, one entry per prefix, attributes ORIGIN IGP, an empty AS_PATH and the next
 * hop (NEXT_HOP for IPv4; for IPv6 an MP_REACH_NLRI with AFI, SAFI, next hop and no NLRI.
 * RFC 6396 section 4.3.4 says RIB entries carry only the next-hop part, but gobgp 3.10
 * parses the full form and rejects the abbreviated one). Written apart from the speaker's encoder on purpose: the
 * benchmark must not depend on the code it measures.
 */
import ipaddr from 'ipaddr.js';

const TABLE_DUMP_V2 = 13;
const PEER_INDEX_TABLE = 1;
const RIB_IPV4_UNICAST = 2;
const RIB_IPV6_UNICAST = 4;

function record(subtype: number, body: Buffer, timestamp: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32BE(timestamp, 0);
  header.writeUInt16BE(TABLE_DUMP_V2, 4);
  header.writeUInt16BE(subtype, 6);
  header.writeUInt32BE(body.length, 8);
  return Buffer.concat([header, body]);
}

function addressBytes(address: string): Buffer {
  return Buffer.from(ipaddr.parse(address).toByteArray());
}

export interface MrtPeer {
  routerId: string;
  address: string;
  asn: number;
}

/** PEER_INDEX_TABLE with one peer (AS4 encoding). */
export function peerIndexTable(collectorId: string, peer: MrtPeer, timestamp: number): Buffer {
  const ip = addressBytes(peer.address);
  const body = Buffer.alloc(4 + 2 + 2 + 1 + 4 + ip.length + 4);
  let o = 0;
  addressBytes(collectorId).copy(body, o);
  o += 4;
  body.writeUInt16BE(0, o); // view name length
  o += 2;
  body.writeUInt16BE(1, o); // peer count
  o += 2;
  body.writeUInt8((ip.length === 16 ? 1 : 0) | 2, o); // bit 0: IPv6 address, bit 1: 4-byte AS
  o += 1;
  addressBytes(peer.routerId).copy(body, o);
  o += 4;
  ip.copy(body, o);
  o += ip.length;
  body.writeUInt32BE(peer.asn, o);
  return record(PEER_INDEX_TABLE, body, timestamp);
}

/** Path attributes of every RIB entry: ORIGIN IGP, empty AS_PATH, next hop. */
function attributes(nextHop: string): Buffer {
  const hop = addressBytes(nextHop);
  const origin = Buffer.from([0x40, 1, 1, 0]);
  const asPath = Buffer.from([0x40, 2, 0]);
  const next =
    hop.length === 4
      ? Buffer.concat([Buffer.from([0x40, 3, 4]), hop])
      : // MP_REACH_NLRI: AFI 2, SAFI 1, next hop, reserved, no NLRI (the record holds the prefix).
        Buffer.concat([
          Buffer.from([0x80, 14, 5 + hop.length, 0, 2, 1, hop.length]),
          hop,
          Buffer.from([0]),
        ]);
  return Buffer.concat([origin, asPath, next]);
}

/** One RIB_IPVx_UNICAST record for a host prefix (/32 or /128) of `address`. */
function ribRecord(
  sequence: number,
  address: Uint8Array,
  attrs: Buffer,
  timestamp: number,
): Buffer {
  const v6 = address.length === 16;
  const body = Buffer.alloc(4 + 1 + address.length + 2 + 2 + 4 + 2 + attrs.length);
  let o = 0;
  body.writeUInt32BE(sequence, o);
  o += 4;
  body.writeUInt8(address.length * 8, o);
  o += 1;
  body.set(address, o);
  o += address.length;
  body.writeUInt16BE(1, o); // entry count
  o += 2;
  body.writeUInt16BE(0, o); // peer index
  o += 2;
  body.writeUInt32BE(timestamp, o);
  o += 4;
  body.writeUInt16BE(attrs.length, o);
  o += 2;
  attrs.copy(body, o);
  return record(v6 ? RIB_IPV6_UNICAST : RIB_IPV4_UNICAST, body, timestamp);
}

/** Consecutive host addresses from `start`, as byte arrays. */
export function* hostAddresses(start: string, count: number): Generator<Uint8Array> {
  const bytes = Uint8Array.from(ipaddr.parse(start).toByteArray());
  for (let i = 0; i < count; i++) {
    yield Uint8Array.from(bytes);
    for (let j = bytes.length - 1; j >= 0; j--) {
      const b = bytes[j] ?? 0;
      if (b < 255) {
        bytes[j] = b + 1;
        break;
      }
      bytes[j] = 0;
      if (j === 0) throw new Error(`address range from ${start} overflows`);
    }
  }
}

export interface MrtRange {
  start: string;
  count: number;
  nextHop: string;
}

/**
 * A whole TABLE_DUMP_V2 file: the peer index, then every host prefix of every range,
 * then the last `repeatTail` RIB records once more. `gobgp mrt inject` (3.10) can lose
 * the last few hundred records of a stream; repeating the tail makes the first copy of
 * every prefix land (repeats of the same path only replace it, before any neighbour exists).
 */
export function tableDump(
  collectorId: string,
  peer: MrtPeer,
  ranges: readonly MrtRange[],
  repeatTail = 0,
): Buffer {
  const timestamp = Math.floor(Date.now() / 1000);
  const parts: Buffer[] = [peerIndexTable(collectorId, peer, timestamp)];
  const rib: { address: Uint8Array; attrs: Buffer }[] = [];
  for (const range of ranges) {
    const attrs = attributes(range.nextHop);
    for (const address of hostAddresses(range.start, range.count)) rib.push({ address, attrs });
  }
  const records = [...rib, ...rib.slice(Math.max(0, rib.length - repeatTail))];
  records.forEach((r, sequence) => parts.push(ribRecord(sequence, r.address, r.attrs, timestamp)));
  return Buffer.concat(parts);
}
