/**
 * TCP and UDP header translation (RFC 7915 §4.5/§5.5, RFC 6146 §3.7): the
 * ports become those of the outgoing tuple and the checksum follows the new
 * pseudo-header and ports. What to do with a zero UDP checksum differs by
 * direction and is decided by the caller before calling in here.
 */
import { TCPHeader, UDPHeader } from '../../harness/packet/types';
import { adjustChecksum, udpChecksumOnWire, words } from './checksum-adjust';
import { XlatMap, XlatOptions, hasFault } from './types';

/** Pseudo-header addresses before and after translation: source then destination, as bytes. */
export interface AddressSwap {
  before: Buffer;
  after: Buffer;
}

/** Ports of the outgoing tuple; a fault that keeps the old ones is the NAT64 half's (it owns the map). */
function outgoingPorts(h: UDPHeader | TCPHeader, map: XlatMap): { sport: number; dport: number } {
  return { sport: map.sport ?? h.sport, dport: map.dport ?? h.dport };
}

/** The checksum for the new addresses and ports, or undefined when there was none to adjust. */
function newChecksum(
  kind: 'udp' | 'tcp',
  h: UDPHeader | TCPHeader,
  ports: { sport: number; dport: number },
  addrs: AddressSwap,
  opts: XlatOptions,
): number | undefined {
  // Undefined only comes from a hand-built packet: encode will compute it, which is
  // right for a whole datagram only (decoded packets, fragments included, always carry one).
  if (h.checksum === undefined) return undefined;
  if (hasFault(opts, 'bad-transport-checksum')) return h.checksum;
  const removed = Buffer.concat([addrs.before, words(h.sport, h.dport)]);
  const added = Buffer.concat([addrs.after, words(ports.sport, ports.dport)]);
  const c = adjustChecksum(h.checksum, removed, added);
  return kind === 'udp' ? udpChecksumOnWire(c) : c;
}

/**
 * A UDP header with the outgoing ports and an adjusted checksum. A zero
 * checksum is passed through as zero: the caller handles it (4->6 computes
 * it per RFC 6146 §3.4; 6->4 keeps "no checksum", which IPv4 allows).
 */
export function translateUdp(h: UDPHeader, map: XlatMap, addrs: AddressSwap, opts: XlatOptions): UDPHeader {
  const ports = outgoingPorts(h, map);
  const checksum = h.checksum === 0 ? 0 : newChecksum('udp', h, ports, addrs, opts);
  return { ...h, ...ports, checksum };
}

/** A TCP header with the outgoing ports and an adjusted checksum; every other field is kept. */
export function translateTcp(h: TCPHeader, map: XlatMap, addrs: AddressSwap, opts: XlatOptions): TCPHeader {
  const ports = outgoingPorts(h, map);
  return { ...h, ...ports, checksum: newChecksum('tcp', h, ports, addrs, opts) };
}
