/**
 * Checksum updates for translated transport headers (RFC 7915 §4.5/§5.5,
 * RFC 6146 §3.7 pointing to the RFC 3022 incremental method).
 *
 * The checksum is adjusted, never recomputed from scratch: take out the
 * words that changed (pseudo-header addresses, ports, ICMP type and
 * identifier) and put the new ones in, with RFC 1624 eqn. 3. Two reasons:
 * a corrupt segment stays detectably corrupt end to end (a full recompute
 * would bless it with a fresh valid checksum), and the first fragment of a
 * TCP or UDP datagram can be updated although the rest of the data is not
 * here. The pseudo-header length and protocol contribute the same words on
 * both sides (RFC 768/793 vs RFC 8200 §8.1), so only addresses and ports
 * move; ICMP is the exception, as only ICMPv6 has a pseudo-header.
 */
import { incrementalUpdate } from '../../harness/packet/checksum';

/** Big-endian 16-bit words as bytes, so they can be fed to `incrementalUpdate`. */
export function words(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16BE(v & 0xffff, i * 2));
  return b;
}

/** The IPv6 pseudo-header (RFC 8200 §8.1) as bytes, for adding it to or removing it from an ICMP checksum. */
export function pseudoHeader6(src: Buffer, dst: Buffer, nextHeader: number, length: number): Buffer {
  const b = Buffer.alloc(40);
  src.copy(b, 0);
  dst.copy(b, 16);
  b.writeUInt32BE(length >>> 0, 32);
  b[39] = nextHeader;
  return b;
}

/** The checksum after the bytes `removed` were taken out of the covered data and `added` put in. */
export function adjustChecksum(checksum: number, removed: Buffer, added: Buffer): number {
  // Both sides must be whole 16-bit words at even offsets, or the sums would misalign.
  if (removed.length % 2 || added.length % 2) throw new Error('adjustChecksum: odd-length update');
  return incrementalUpdate(checksum, removed, added);
}

/**
 * RFC 768: a UDP checksum that computes to zero is sent as all ones, since
 * zero means "no checksum" (and is invalid in IPv6, RFC 8200 §8.1). RFC 1624
 * eqn. 3 yields zero exactly when a full computation does, so mapping zero
 * to 0xffff gives the value `encode` would write.
 */
export function udpChecksumOnWire(checksum: number): number {
  return checksum === 0 ? 0xffff : checksum;
}
