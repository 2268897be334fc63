/**
 * Knowing when the guest has finished with what a case sent, without
 * waiting for a quiet period. Jool translates in the receive path of the
 * guest kernel, synchronously, and every NIC is one FIFO in each direction.
 * So the harness pings the guest's own link addresses (never a Jool address)
 * on both NICs, twice in a row:
 *
 * - round 1: each echo is queued behind the case's packets on that NIC, so
 *   its reply means those packets have been processed (translated, answered
 *   or dropped);
 * - round 2: each reply is queued behind everything the guest emitted on
 *   that NIC while processing them, so once both replies are in, every
 *   packet the case caused has reached the harness.
 *
 * The echo replies are consumed here and never become evidence.
 */
import { internetChecksum, pseudoHeaderSum6 } from '../packet/checksum';
import { parseIPv4, parseIPv6 } from '../packet/address';

/** The guest's link-only addresses the markers go to (outside every pool6 and pool4 a case can set). */
export const MARKER = {
  guest6: 'fe80::1',
  router6: 'fe80::2',
  guest4: '169.254.64.1',
  router4: '198.18.255.254',
  id: 0x6e6c,
  payload: Buffer.from('nat64lab jool sync marker'),
} as const;

export function marker6(seq: number): Buffer {
  const icmp = Buffer.concat([Buffer.alloc(8), MARKER.payload]);
  icmp[0] = 128;
  icmp.writeUInt16BE(MARKER.id, 4);
  icmp.writeUInt16BE(seq & 0xffff, 6);
  const src = parseIPv6(MARKER.router6);
  const dst = parseIPv6(MARKER.guest6);
  icmp.writeUInt16BE(internetChecksum(icmp, pseudoHeaderSum6(src, dst, 58, icmp.length)), 2);
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(icmp.length, 4);
  ip[6] = 58;
  ip[7] = 255;
  src.copy(ip, 8);
  dst.copy(ip, 24);
  return Buffer.concat([ip, icmp]);
}

export function marker4(seq: number): Buffer {
  const icmp = Buffer.concat([Buffer.alloc(8), MARKER.payload]);
  icmp[0] = 8;
  icmp.writeUInt16BE(MARKER.id, 4);
  icmp.writeUInt16BE(seq & 0xffff, 6);
  icmp.writeUInt16BE(internetChecksum(icmp), 2);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + icmp.length, 2);
  ip[8] = 64;
  ip[9] = 1;
  parseIPv4(MARKER.router4).copy(ip, 12);
  parseIPv4(MARKER.guest4).copy(ip, 16);
  ip.writeUInt16BE(internetChecksum(ip), 10);
  return Buffer.concat([ip, icmp]);
}

/** The sequence number of a marker echo reply, or undefined when the packet is not one. */
export function markerReply(p: Buffer): number | undefined {
  if (p.length < 1) return undefined;
  if (p[0] >> 4 === 6) {
    if (p.length < 48 + MARKER.payload.length || p[6] !== 58 || p[40] !== 129 || p.readUInt16BE(44) !== MARKER.id) return undefined;
    return p.subarray(48).equals(MARKER.payload) ? p.readUInt16BE(46) : undefined;
  }
  if (p[0] >> 4 === 4) {
    const ihl = (p[0] & 15) * 4;
    if (p.length < ihl + 8 + MARKER.payload.length || p[9] !== 1 || p[ihl] !== 0 || p.readUInt16BE(ihl + 4) !== MARKER.id) return undefined;
    return p.subarray(ihl + 8).equals(MARKER.payload) ? p.readUInt16BE(ihl + 6) : undefined;
  }
  return undefined;
}
