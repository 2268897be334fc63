/**
 * The harness end of one guest NIC: qemu's `-netdev stream` connects to a unix
 * stream socket the harness listens on, and every Ethernet frame travels as a
 * 4-byte big-endian length followed by the frame. The harness plays the
 * router on the link: it frames the packets a case sends (router MAC → guest
 * MAC), strips the framing off what the guest emits, answers the guest's ARP
 * and neighbour solicitations for the router address, and drops link chatter
 * (ARP, ND, MLD, IGMP), which is never NAT64 output and so never evidence.
 */
import { createServer, type Server, type Socket } from 'net';
import { unlinkSync } from 'fs';
import { parseIPv4, parseIPv6 } from '../packet/address';
import { internetChecksum, pseudoHeaderSum6 } from '../packet/checksum';
import { isKernelNoise } from '../lab/tun-lab';

const ETH_IPV4 = 0x0800;
const ETH_ARP = 0x0806;
const ETH_IPV6 = 0x86dd;
const ETH_HEADER = 14;
/** Ethernet pads frames to 60 octets; anything longer than its IP length beyond that is the guest's, not padding. */
const ETH_MIN_FRAME = 60;
/** Largest frame the framing accepts; qemu never sends more than 64 KiB + header. */
const MAX_FRAME = 70_000;

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

export interface L2PortOptions {
  /** Unix socket path qemu connects to (`-netdev stream,server=off,addr.path=`). */
  path: string;
  guestMac: string;
  routerMac: string;
  /** The router's address on this link: IPv4 (ARP) or IPv6 link-local (NDP). */
  routerAddress: string;
  family: 4 | 6;
}

export class L2Port {
  private readonly server: Server;
  private conn?: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private readonly guest: Buffer;
  private readonly router: Buffer;
  private readonly routerIp: Buffer;
  /** Frames the port consumed itself (neighbour answers, chatter): never evidence. */
  linkFrames = 0;
  /** Frames written before qemu connected are lost; counted so a case can tell. */
  dropped = 0;
  private onPacket: (packet: Buffer) => void = () => undefined;
  private connected?: () => void;

  constructor(private readonly opts: L2PortOptions) {
    this.guest = macBytes(opts.guestMac);
    this.router = macBytes(opts.routerMac);
    this.routerIp = opts.family === 4 ? parseIPv4(opts.routerAddress) : parseIPv6(opts.routerAddress);
    this.server = createServer((c) => this.accept(c));
  }

  /** Listens before qemu starts: qemu 7.2 connects once at start-up and never retries. */
  listen(): Promise<void> {
    try {
      unlinkSync(this.opts.path);
    } catch {
      /* no stale socket */
    }
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.path, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Resolves once qemu has connected. */
  whenConnected(): Promise<void> {
    if (this.conn) return Promise.resolve();
    return new Promise((resolve) => (this.connected = resolve));
  }

  /** Every IP packet the guest emits on this link, Ethernet header removed. */
  deliver(fn: (packet: Buffer) => void): void {
    this.onPacket = fn;
  }

  private accept(c: Socket): void {
    // One guest NIC, one connection: a second one would be a stale qemu.
    if (this.conn) {
      c.destroy();
      return;
    }
    this.conn = c;
    c.setNoDelay(true);
    c.on('data', (d) => this.onData(d));
    c.on('error', () => undefined);
    c.on('close', () => {
      if (this.conn === c) this.conn = undefined;
    });
    this.connected?.();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (n > MAX_FRAME) {
        // A broken stream cannot be resynchronised; drop the connection rather than misread frames.
        this.conn?.destroy();
        this.buf = Buffer.alloc(0);
        return;
      }
      if (this.buf.length < 4 + n) break;
      const frame = Buffer.from(this.buf.subarray(4, 4 + n));
      this.buf = this.buf.subarray(4 + n);
      this.onFrame(frame);
    }
  }

  private onFrame(f: Buffer): void {
    if (f.length < ETH_HEADER) return void this.linkFrames++;
    const type = f.readUInt16BE(12);
    if (type === ETH_ARP) {
      this.answerArp(f);
      return void this.linkFrames++;
    }
    if (type !== ETH_IPV4 && type !== ETH_IPV6) return void this.linkFrames++;
    const ip = stripPadding(f.subarray(ETH_HEADER), f.length);
    if (type === ETH_IPV6 && this.answerSolicitation(ip)) return void this.linkFrames++;
    if (isKernelNoise(ip)) return void this.linkFrames++;
    this.onPacket(Buffer.from(ip));
  }

  /** Writes one IP packet to the guest, framed from the router. */
  send(packet: Buffer): void {
    const version = packet.length ? packet[0] >> 4 : 0;
    // A malformed packet a case crafts still goes out, typed by the link's family.
    const type = version === 6 ? ETH_IPV6 : version === 4 ? ETH_IPV4 : this.opts.family === 6 ? ETH_IPV6 : ETH_IPV4;
    this.write(ethernet(this.guest, this.router, type, packet));
  }

  private write(frame: Buffer): void {
    if (!this.conn) {
      this.dropped++;
      return;
    }
    const len = Buffer.alloc(4);
    len.writeUInt32BE(frame.length);
    this.conn.write(Buffer.concat([len, frame]));
  }

  private answerArp(f: Buffer): void {
    const a = f.subarray(ETH_HEADER);
    // Ethernet/IPv4 request for the router's address.
    if (a.length < 28 || a.readUInt16BE(0) !== 1 || a.readUInt16BE(2) !== ETH_IPV4 || a.readUInt16BE(6) !== 1) return;
    if (!a.subarray(24, 28).equals(this.routerIp)) return;
    const reply = Buffer.alloc(28);
    a.copy(reply, 0, 0, 6);
    reply.writeUInt16BE(2, 6);
    this.router.copy(reply, 8);
    this.routerIp.copy(reply, 14);
    a.copy(reply, 18, 8, 18); // sender MAC + IP become the target
    this.write(ethernet(a.subarray(8, 14), this.router, ETH_ARP, reply));
  }

  /** Answers an NS for the router's link-local address with a solicited NA; true when it was one. */
  private answerSolicitation(p: Buffer): boolean {
    if (p.length < 64 || p[0] >> 4 !== 6 || p[6] !== 58 || p[40] !== 135) return false;
    const target = p.subarray(48, 64);
    if (!target.equals(this.routerIp)) return true; // some other solicitation: still link chatter
    const src = p.subarray(8, 24);
    const unspecified = src.every((b) => b === 0);
    const dst = unspecified ? parseIPv6('ff02::1') : Buffer.from(src);
    const na = Buffer.alloc(32);
    na[0] = 136;
    na[4] = unspecified ? 0xa0 : 0xe0; // router, (solicited), override
    this.routerIp.copy(na, 8);
    na[24] = 2; // target link-layer address option
    na[25] = 1;
    this.router.copy(na, 26);
    const ip = Buffer.alloc(40);
    ip.writeUInt32BE(0x60000000, 0);
    ip.writeUInt16BE(na.length, 4);
    ip[6] = 58;
    ip[7] = 255;
    this.routerIp.copy(ip, 8);
    dst.copy(ip, 24);
    na.writeUInt16BE(internetChecksum(na, pseudoHeaderSum6(this.routerIp, dst, 58, na.length)), 2);
    // The guest has one MAC on this link; an answer to a DAD probe (unspecified source) goes to all nodes.
    const dstMac = unspecified ? macBytes('33:33:00:00:00:01') : this.guest;
    this.write(ethernet(dstMac, this.router, ETH_IPV6, Buffer.concat([ip, na])));
    return true;
  }

  /** Closes the connection and the listener and removes the socket file. Safe twice. */
  close(): void {
    this.conn?.destroy();
    this.conn = undefined;
    this.server.close();
    try {
      unlinkSync(this.opts.path);
    } catch {
      /* gone */
    }
  }

  describe(): string {
    return `${this.opts.routerAddress} (${this.opts.routerMac}) ↔ guest ${this.opts.guestMac}`;
  }
}

function ethernet(dst: Buffer, src: Buffer, type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(ETH_HEADER);
  dst.copy(h, 0);
  src.copy(h, 6);
  h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}

/** Removes Ethernet padding (frames of the 60-octet minimum only), so a short packet is not read with trailing zeros. */
function stripPadding(ip: Buffer, frameLength: number): Buffer {
  if (frameLength > ETH_MIN_FRAME || ip.length < 1) return ip;
  const v = ip[0] >> 4;
  let len = ip.length;
  if (v === 4 && ip.length >= 20) len = ip.readUInt16BE(2);
  else if (v === 6 && ip.length >= 40) len = 40 + ip.readUInt16BE(4);
  return len >= 20 && len < ip.length ? ip.subarray(0, len) : ip;
}
