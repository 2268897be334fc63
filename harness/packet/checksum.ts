/**
 * The Internet checksum (RFC 1071), pseudo-headers for IPv4 (RFC 768/793)
 * and IPv6 (RFC 8200 §8.1), and incremental update (RFC 1624).
 */

/** One's-complement sum of 16-bit words, folded to 16 bits, not complemented. */
export function onesSum(data: Uint8Array, initial = 0, start = 0, end = data.length): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (i < end) sum += data[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum field value for `data` (with its checksum field zeroed) after adding `initial`. */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  return ~onesSum(data, initial) & 0xffff;
}

export function pseudoHeaderSum4(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = 0;
  sum += (src[0] << 8) | src[1];
  sum += (src[2] << 8) | src[3];
  sum += (dst[0] << 8) | dst[1];
  sum += (dst[2] << 8) | dst[3];
  sum += protocol;
  sum += length & 0xffff;
  sum += length >>> 16;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function pseudoHeaderSum6(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < 16; i += 2) sum += ((src[i] << 8) | src[i + 1]) + ((dst[i] << 8) | dst[i + 1]);
  sum += (length >>> 16) + (length & 0xffff);
  sum += nextHeader;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * RFC 1624 eqn. 3: the new checksum HC' = ~(~HC + ~m + m') after a 16-bit
 * word changes from m to m'. Used on the translation hot path, where
 * recomputing over the payload would cost a pass over every byte.
 */
export function incrementalUpdate16(checksum: number, oldWord: number, newWord: number): number {
  let sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Incremental update for a change of a byte range (e.g. an address) of even length. */
export function incrementalUpdate(checksum: number, oldBytes: Uint8Array, newBytes: Uint8Array): number {
  // Sum of the old words is taken out and the new sum put in: ~(~HC + ~sum(old) + sum(new)).
  const oldSum = onesSum(oldBytes);
  const newSum = onesSum(newBytes);
  let sum = (~checksum & 0xffff) + (~oldSum & 0xffff) + newSum;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Replace one pseudo-header's contribution with another's, for a transport
 * checksum that moves between IPv4 and IPv6 (RFC 7915 §4.5/§5.5 recompute,
 * done incrementally).
 */
export function swapPseudoHeader(checksum: number, oldPseudoSum: number, newPseudoSum: number): number {
  let sum = (~checksum & 0xffff) + (~oldPseudoSum & 0xffff) + newPseudoSum;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
