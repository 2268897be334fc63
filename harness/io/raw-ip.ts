/**
 * Raw IP sockets for sending whole IP packets through the host's routing
 * table: the kernel picks the next hop and resolves it by ARP/NDP, so the
 * harness needs no knowledge of the link. IPPROTO_RAW makes the packet go
 * out with the caller's header (IP_HDRINCL on IPv4; on IPv6 the header is
 * taken as built). These sockets are for sending only: a raw socket sees
 * only locally addressed packets, after reassembly, and on IPv6 without the
 * header, so capture stays with AF_PACKET (harness/io/packet-socket.ts).
 *
 * The socket is bound to one interface (SO_BINDTODEVICE): a packet for a
 * side leaves on that side's NIC or not at all, never by another route of
 * the host. On IPv4 the kernel still sets the header checksum and total
 * length, a zero source, and an ID when the packet has ID 0 and DF clear;
 * notAsBuilt() names the packets that changes. An IPv6 header goes out
 * untouched.
 */
import * as libc from './libc';
import * as pk from './libc-packet';
import { inNamespace, rawSocketFor } from './packet-socket';
import { internetChecksum } from '../packet/checksum';

export interface RawIpSocket {
  readonly family: 4 | 6;
  readonly ifname: string;
  /** Sends one whole IP packet of the socket's family toward its destination address. */
  send(packet: Buffer): void;
  close(): void;
}

const SNDBUF = 4 << 20;

/** Opens a raw IP socket of `family` bound to `ifname` (in `netns` when given); errors are one line naming the interface. */
export function openRawIp(family: 4 | 6, ifname: string, opts: { netns?: string } = {}): RawIpSocket {
  return inNamespace(opts.netns, () => {
    const { fd, ifindex, where } = rawSocketFor(ifname, opts.netns, family === 4 ? pk.AF_INET : pk.AF_INET6, pk.IPPROTO_RAW, `raw IPv${family} socket`);
    try {
      const name = Buffer.alloc(16);
      name.write(ifname, 0, 15, 'latin1');
      pk.setsockoptBytes(fd, pk.SOL_SOCKET, pk.SO_BINDTODEVICE, name, `SO_BINDTODEVICE ${where}`);
      pk.setsockoptInt(fd, pk.SOL_SOCKET, pk.SO_SNDBUFFORCE, SNDBUF, 'SO_SNDBUFFORCE');
      // A case may address a broadcast; without SO_BROADCAST the kernel refuses it (EACCES) instead of sending.
      if (family === 4) pk.setsockoptInt(fd, pk.SOL_SOCKET, pk.SO_BROADCAST, 1, 'SO_BROADCAST');
      return new RawSocket(family, ifname, ifindex, fd);
    } catch (err) {
      libc.close(fd);
      throw err;
    }
  });
}

/**
 * Why `packet` cannot go out of a raw socket of `family` exactly as built,
 * or undefined when it can: the IPv4 fields the kernel rewrites that the
 * device would see differently, and packets of the other family (a raw
 * socket routes its own family only). Phrased to follow "needs".
 */
export function notAsBuilt(family: 4 | 6, packet: Buffer): string | undefined {
  const version = packet.length ? packet[0] >> 4 : undefined;
  if (version !== family) return `an IPv${version ?? '?'} packet of ${packet.length} bytes sent on the IPv${family} side; a raw IPv${family} socket sends IPv${family} packets only`;
  if (family === 6) return packet.length < 40 ? `an IPv6 packet shorter than its header (${packet.length} bytes); the kernel refuses it` : undefined;
  const ihl = (packet[0] & 0x0f) * 4;
  if (packet.length < 20 || ihl < 20 || ihl > packet.length) return `an IPv4 packet whose header does not fit (${packet.length} bytes, IHL ${ihl / 4}); the kernel refuses or completes it`;
  if (packet.readUInt32BE(12) === 0) return 'an IPv4 packet from 0.0.0.0; the kernel fills in a zero source';
  if (packet.readUInt16BE(2) !== packet.length) return `an IPv4 total length of ${packet.readUInt16BE(2)} on a ${packet.length}-byte packet; the kernel sets the total length`;
  if (internetChecksum(packet.subarray(0, ihl)) !== 0) return 'an IPv4 header with a wrong checksum; the kernel sets the header checksum';
  const frag = packet.readUInt16BE(6);
  // Unfragmented, an ID the kernel picks is discarded by translation (RFC 7915 §4.1); in a fragment it becomes the Fragment header's.
  if (packet.readUInt16BE(4) === 0 && (frag & 0x4000) === 0 && (frag & 0x3fff) !== 0) return 'an IPv4 fragment with ID 0; the kernel picks an ID for it';
  return undefined;
}

/** The destination of an IP packet as a socket address (the kernel routes by it, not by the header). */
export function destinationOf(family: 4 | 6, packet: Buffer, ifindex = 0): Buffer {
  if (family === 4) {
    if (packet.length < 20 || packet[0] >> 4 !== 4) throw new Error(`not an IPv4 packet (${packet.length} bytes, version ${packet.length ? packet[0] >> 4 : 'none'}); a raw IPv4 socket sends IPv4 only`);
    const sin = Buffer.alloc(16); // struct sockaddr_in
    sin.writeUInt16LE(pk.AF_INET, 0);
    sin.set(packet.subarray(16, 20), 4);
    return sin;
  }
  if (packet.length < 40 || packet[0] >> 4 !== 6) throw new Error(`not an IPv6 packet (${packet.length} bytes, version ${packet.length ? packet[0] >> 4 : 'none'}); a raw IPv6 socket sends IPv6 only`);
  const sin6 = Buffer.alloc(28); // struct sockaddr_in6; sin6_port stays 0 (the kernel refuses a port on IPPROTO_RAW)
  sin6.writeUInt16LE(pk.AF_INET6, 0);
  sin6.set(packet.subarray(24, 40), 8);
  // A link-local or link-scope multicast destination needs its link; the kernel ignores the scope of any other.
  sin6.writeUInt32LE(ifindex, 24);
  return sin6;
}

class RawSocket implements RawIpSocket {
  private closed = false;
  constructor(readonly family: 4 | 6, readonly ifname: string, readonly ifindex: number, readonly fd: number) {}

  send(packet: Buffer): void {
    if (this.closed) throw new Error(`raw IPv${this.family} socket on ${this.ifname}: send after close`);
    pk.sendto(this.fd, packet, destinationOf(this.family, packet, this.ifindex), `on ${this.ifname}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc.close(this.fd);
  }
}
