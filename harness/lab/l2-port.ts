/**
 * One side of an external device at layer 2: the harness plays every host
 * and router the device talks to on that link. It frames the IP packets a
 * case sends (harness MAC → device MAC), strips the framing off what the
 * device emits, answers the device's ARP requests and neighbour
 * solicitations for any address that is not the device's own (the servers,
 * clients and routers of the cases all live behind the harness), and
 * resolves the device's MAC from its interface address. Link plumbing (ARP,
 * neighbour discovery, MLD, IGMP, other ethertypes) is consumed here and is
 * never evidence; a malformed frame is counted, not thrown.
 *
 * Pure framing and protocol logic: the PacketSocket is injected, so tests
 * drive it with frames in memory as well as on veth pairs.
 */
import { canonical, formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../packet/address';
import { internetChecksum, pseudoHeaderSum6 } from '../packet/checksum';
import { isKernelNoise } from './tun-lab';

export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_IPV6 = 0x86dd;
const ETH_HEADER = 14;
const BROADCAST = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** What the port needs of a packet socket. */
export interface FramePort {
  readonly mac: Buffer;
  send(frame: Buffer): void;
}

export interface L2PortOptions {
  family: 4 | 6;
  /** The device's MAC when the operator gave it; otherwise learned by resolve(). */
  deviceMac?: string;
  /** The device's interface address on this link (ARP/NDP target of resolve(); never impersonated). */
  deviceAddress?: string;
  /** Further addresses the device owns (the IPv4 pool): the harness never answers for them. */
  deviceOwns?: (address: string) => boolean;
}

/** Counters of what the port consumed, for the report's notes and the project's tests. */
export interface L2Counters {
  arpAnswered: number;
  ndAnswered: number;
  /** Link plumbing dropped (ARP replies, NDP, MLD, IGMP, other ethertypes). */
  plumbing: number;
  /** Frames too short or inconsistent to be IP packets. */
  malformed: number;
}

export function macText(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

/** The IPv6 link-local address made from a MAC (modified EUI-64, RFC 4291 appendix A). */
export function linkLocalOf(mac: Uint8Array): Buffer {
  const a = Buffer.alloc(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a[8] = mac[0] ^ 0x02;
  a[9] = mac[1];
  a[10] = mac[2];
  a[11] = 0xff;
  a[12] = 0xfe;
  a[13] = mac[3];
  a[14] = mac[4];
  a[15] = mac[5];
  return a;
}

function solicitedNode(target: Buffer): Buffer {
  const a = parseIPv6('ff02::1:ff00:0');
  a[13] = target[13];
  a[14] = target[14];
  a[15] = target[15];
  return a;
}

function multicastMac6(dst: Buffer): Buffer {
  return Buffer.from([0x33, 0x33, dst[12], dst[13], dst[14], dst[15]]);
}

export function ethernet(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Buffer {
  const f = Buffer.alloc(ETH_HEADER + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  f.writeUInt16BE(type, 12);
  f.set(payload, ETH_HEADER);
  return f;
}

/** An ARP packet for Ethernet/IPv4 (RFC 826). */
export function arpPacket(op: 1 | 2, sha: Uint8Array, spa: string, tha: Uint8Array, tpa: string): Buffer {
  const a = Buffer.alloc(28);
  a.writeUInt16BE(1, 0);
  a.writeUInt16BE(ETH_IPV4, 2);
  a[4] = 6;
  a[5] = 4;
  a.writeUInt16BE(op, 6);
  a.set(sha, 8);
  a.set(parseIPv4(spa), 14);
  a.set(tha, 18);
  a.set(parseIPv4(tpa), 24);
  return a;
}

/** An ICMPv6 neighbour discovery message (NS 135 / NA 136, RFC 4861 §4.3/§4.4) with one link-layer address option. */
export function ndPacket(type: 135 | 136, src: Buffer, dst: Buffer, target: Buffer, mac: Uint8Array, flags = 0): Buffer {
  const icmp = Buffer.alloc(32);
  icmp[0] = type;
  icmp.writeUInt32BE(flags >>> 0, 4);
  icmp.set(target, 8);
  icmp[24] = type === 135 ? 1 : 2; // source / target link-layer address option
  icmp[25] = 1;
  icmp.set(mac, 26);
  const csum = internetChecksum(icmp, pseudoHeaderSum6(src, dst, 58, icmp.length));
  icmp.writeUInt16BE(csum, 2);
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(icmp.length, 4);
  ip[6] = 58;
  ip[7] = 255;
  ip.set(src, 8);
  ip.set(dst, 24);
  return Buffer.concat([ip, icmp]);
}

const NA_SOLICITED = 0x40000000;
const NA_OVERRIDE = 0x20000000;

export class L2Port {
  readonly counters: L2Counters = { arpAnswered: 0, ndAnswered: 0, plumbing: 0, malformed: 0 };
  private deviceMac: Buffer | undefined;
  private readonly resolvedListeners = new Set<() => void>();

  constructor(private readonly port: FramePort, private readonly opts: L2PortOptions) {
    if (opts.deviceMac) this.deviceMac = macBytes(opts.deviceMac);
  }

  get mac(): Buffer {
    return this.port.mac;
  }

  /** The device's MAC once known. */
  get device(): string | undefined {
    return this.deviceMac ? macText(this.deviceMac) : undefined;
  }

  private owned(addr: string): boolean {
    const a = canonical(addr);
    return (this.opts.deviceAddress !== undefined && a === this.opts.deviceAddress) || (this.opts.deviceOwns?.(a) ?? false);
  }

  /** Frames an IP packet toward the device and sends it; the device's MAC must be known. */
  sendPacket(packet: Buffer): void {
    if (!this.deviceMac) throw new Error(`the device's MAC on the IPv${this.opts.family} side is not known yet; resolve it first`);
    const version = packet.length ? packet[0] >> 4 : 0;
    // A case may send a deliberately broken packet; the ethertype follows what the case meant to send.
    const type = version === 4 ? ETH_IPV4 : version === 6 ? ETH_IPV6 : this.opts.family === 4 ? ETH_IPV4 : ETH_IPV6;
    this.port.send(ethernet(this.deviceMac, this.port.mac, type, packet));
  }

  /** Sends one ARP request or neighbour solicitation for the device's interface address. */
  solicit(): void {
    const target = this.opts.deviceAddress;
    if (!target) throw new Error(`no deviceAddress to resolve on the IPv${this.opts.family} side; give the device's address or its MAC in the target file`);
    if (this.opts.family === 4) {
      // An ARP probe (sender 0.0.0.0, RFC 5227): the harness needs no address of its own on the link.
      this.port.send(ethernet(BROADCAST, this.port.mac, ETH_ARP, arpPacket(1, this.port.mac, '0.0.0.0', Buffer.alloc(6), target)));
    } else {
      const t = parseIPv6(target);
      const dst = solicitedNode(t);
      this.port.send(ethernet(multicastMac6(dst), this.port.mac, ETH_IPV6, ndPacket(135, linkLocalOf(this.port.mac), dst, t, this.port.mac)));
    }
  }

  /** Calls `cb` once the device's MAC is learned. */
  onResolved(cb: () => void): () => void {
    this.resolvedListeners.add(cb);
    return () => this.resolvedListeners.delete(cb);
  }

  private learn(mac: Uint8Array): void {
    const fresh = !this.deviceMac || !this.deviceMac.equals(mac);
    this.deviceMac = Buffer.from(mac);
    if (fresh) for (const cb of [...this.resolvedListeners]) cb();
  }

  /**
   * Handles one received frame: the IP packet in it when it is evidence, or
   * undefined when the port consumed it (ARP, NDP, link chatter) or it was
   * malformed.
   */
  receive(frame: Buffer): Buffer | undefined {
    if (frame.length < ETH_HEADER) {
      this.counters.malformed++;
      return undefined;
    }
    const dst = frame.subarray(0, 6);
    const src = frame.subarray(6, 12);
    const type = frame.readUInt16BE(12);
    const body = frame.subarray(ETH_HEADER);
    // Frames for another station on a shared segment are not the device talking to the harness.
    if ((dst[0] & 1) === 0 && !dst.equals(this.port.mac)) {
      this.counters.plumbing++;
      return undefined;
    }
    if (type === ETH_ARP) {
      this.onArp(body);
      return undefined;
    }
    if (type === ETH_IPV4) return this.ipv4(body);
    if (type === ETH_IPV6) return this.ipv6(body, src);
    this.counters.plumbing++;
    return undefined;
  }

  private onArp(a: Buffer): void {
    if (a.length < 28 || a.readUInt16BE(0) !== 1 || a.readUInt16BE(2) !== ETH_IPV4 || a[4] !== 6 || a[5] !== 4) {
      this.counters.malformed++;
      return;
    }
    const op = a.readUInt16BE(6);
    const sha = a.subarray(8, 14);
    const spa = formatIPv4(a, 14);
    const tpa = formatIPv4(a, 24);
    if (this.opts.family === 4 && this.opts.deviceAddress === spa) this.learn(sha);
    if (op === 1 && spa !== tpa && !this.owned(tpa) && this.opts.family === 4) {
      this.port.send(ethernet(sha, this.port.mac, ETH_ARP, arpPacket(2, this.port.mac, tpa, sha, spa)));
      this.counters.arpAnswered++;
      return;
    }
    this.counters.plumbing++;
  }

  private ipv4(p: Buffer): Buffer | undefined {
    if (p.length < 20 || p[0] >> 4 !== 4) {
      this.counters.malformed++;
      return undefined;
    }
    const total = p.readUInt16BE(2);
    // Ethernet pads short frames to 60 octets; the IP total length says where the packet ends.
    const packet = total >= 20 && total <= p.length ? Buffer.from(p.subarray(0, total)) : Buffer.from(p);
    if (isKernelNoise(packet)) {
      this.counters.plumbing++;
      return undefined;
    }
    return packet;
  }

  private ipv6(p: Buffer, src: Buffer): Buffer | undefined {
    if (p.length < 40 || p[0] >> 4 !== 6) {
      this.counters.malformed++;
      return undefined;
    }
    const plen = p.readUInt16BE(4);
    // Payload length 0 is a jumbogram (or a broken packet): keep the whole frame as evidence then.
    const packet = plen > 0 && 40 + plen <= p.length ? Buffer.from(p.subarray(0, 40 + plen)) : Buffer.from(p);
    if (packet[6] === 58 && packet.length >= 48 && packet[7] === 255 && packet[40] >= 133 && packet[40] <= 137) {
      this.onNd(packet, src);
      return undefined;
    }
    if (isKernelNoise(packet)) {
      this.counters.plumbing++;
      return undefined;
    }
    return packet;
  }

  /** Neighbour discovery (hop limit 255, RFC 4861 §7.1.1): answer solicitations, learn the device's MAC. */
  private onNd(p: Buffer, src: Buffer): void {
    const type = p[40];
    if ((type === 135 || type === 136) && p.length >= 64) {
      const target = Buffer.from(p.subarray(48, 64));
      const targetText = formatIPv6(target);
      if (type === 136 && this.opts.family === 6 && this.opts.deviceAddress === targetText) {
        this.learn(linkLayerOption(p, 2) ?? src);
        return;
      }
      if (type === 135 && this.opts.family === 6 && !this.owned(targetText)) {
        const from = Buffer.from(p.subarray(8, 24));
        const unspecified = from.every((b) => b === 0);
        // DAD probes (unspecified source) are answered to all-nodes without S, as RFC 4861 §7.2.4 says.
        const dst = unspecified ? parseIPv6('ff02::1') : from;
        const dmac = unspecified ? multicastMac6(dst) : (linkLayerOption(p, 1) ?? src);
        const flags = unspecified ? NA_OVERRIDE : NA_SOLICITED | NA_OVERRIDE;
        this.port.send(ethernet(dmac, this.port.mac, ETH_IPV6, ndPacket(136, target, dst, target, this.port.mac, flags)));
        this.counters.ndAnswered++;
        return;
      }
    }
    this.counters.plumbing++;
  }
}

/** The link-layer address option of type `want` (1 source, 2 target) in an NS/NA, if present and well formed. */
function linkLayerOption(p: Buffer, want: number): Buffer | undefined {
  let off = 64;
  while (off + 8 <= p.length) {
    const len = p[off + 1] * 8;
    if (len === 0) return undefined;
    if (p[off] === want && len >= 8) return Buffer.from(p.subarray(off + 2, off + 8));
    off += len;
  }
  return undefined;
}
