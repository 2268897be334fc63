/**
 * The routed lab of an external device: the harness host routes toward the
 * device instead of playing its neighbours. Packets go out through raw IP
 * sockets bound to each side's NIC, so the host's kernel picks the next hop
 * (the device, by the routes the operator set or the harness added) and
 * resolves it by ARP/NDP. Capture is the l2 lab's: a packet socket on each
 * NIC, the link header stripped, link plumbing dropped, everything the
 * device emits kept as evidence; sessions and collections are the l2 lab's
 * too (harness/targets/external-l2.ts).
 *
 * The host must not act on the device's output: what the device sends to
 * the lab's clients and servers reaches the host's stack too, and a host
 * that forwards would pass it on (or off the machine). Forwarding on in the
 * namespace is refused at start; with it off the kernel drops those packets
 * without an answer.
 */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { LibcError } from '../io/libc';
import { notAsBuilt, openRawIp } from '../io/raw-ip';
import type { RawIpSocket } from '../io/raw-ip';
import type { PacketSocket } from '../io/packet-socket';
import { LAB } from '../lab/addressing';
import type { FramePort } from '../lab/l2-port';
import { NotApplicable } from '../lab/target';
import { canonical } from '../packet/address';
import { encode } from '../packet/codec';
import type { Side } from '../packet/types';
import type { ExternalSpec } from './external-config';
import { ExternalL2Lab, openSides, portsOf } from './external-l2';

/** Metric of the routes the harness adds: high, so the namespace's own traffic keeps its routes; the raw sockets are bound to the lab NICs and find these. */
const ROUTE_METRIC = 6464;
/** How often the device is probed while the host resolves it. */
const PROBE_EVERY_MS = 200;
const ENETUNREACH = 101;
const EHOSTUNREACH = 113;

/** `ip` in the spec's namespace; the first line of its complaint on failure. */
function ip(spec: ExternalSpec, args: string[]): string {
  const argv = [...(spec.netns ? ['-n', spec.netns] : []), ...args];
  try {
    return execFileSync('ip', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${argv.join(' ')}: ${(e.stderr || e.message).trim().split('\n')[0]}`);
  }
}

/** A sysctl of the spec's namespace (the value as the kernel prints it). */
function sysctl(spec: ExternalSpec, key: string): string {
  const file = `/proc/sys/${key.replace(/\./g, '/')}`;
  if (!spec.netns) return readFileSync(file, 'utf8').trim();
  return execFileSync('ip', ['netns', 'exec', spec.netns, 'cat', file], { encoding: 'utf8' }).trim();
}

/** `ip` arguments adding or deleting the default route via the device on one side. */
function routeArgs(spec: ExternalSpec, side: Side, op: 'add' | 'del'): string[] {
  const s = side === 6 ? spec.ipv6 : spec.ipv4;
  return [`-${side}`, 'route', op, 'default', 'via', s.deviceAddress!, 'dev', s.interface, 'onlink', 'metric', String(ROUTE_METRIC)];
}

export class ExternalRoutedLab extends ExternalL2Lab {
  private rawClosed = false;

  private constructor(spec: ExternalSpec, socks: Record<Side, PacketSocket>, private readonly raw: Record<Side, RawIpSocket>, private readonly added: Side[]) {
    // The host's kernel answers ARP/NDP for its own addresses; the ports only unframe, so what they would answer goes nowhere.
    const sink = (s: Side): FramePort => ({ mac: socks[s].mac, send: () => {} });
    super(spec, socks, portsOf(spec, { 6: sink(6), 4: sink(4) } as Record<Side, FramePort>));
  }

  /** Checks the namespace, adds the routes when the harness owns them, opens capture and raw sockets; one-line errors name the field. */
  static override open(spec: ExternalSpec): ExternalRoutedLab {
    const where = spec.netns ? `namespace ${spec.netns}` : "the harness's namespace";
    for (const key of ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding']) {
      let value: string;
      try {
        value = sysctl(spec, key);
      } catch (err) {
        throw new Error(`${spec.file}: netns: cannot read ${key} in ${where} (${(err as Error).message.split('\n')[0]}); check that the namespace exists`);
      }
      if (value !== '0') throw new Error(`${spec.file}: netns: ${where} forwards packets (${key}=${value}), so the device's output to the lab's addresses would be passed on; turn forwarding off there or name a namespace of its own in "netns"`);
    }
    const lab = new Set<string>([...LAB.client6, LAB.router6, LAB.outside6, ...LAB.server4, ...LAB.server4Global, LAB.router4]);
    for (const link of JSON.parse(ip(spec, ['-j', 'addr', 'show']) || '[]') as { ifname: string; addr_info?: { local?: string }[] }[]) {
      for (const a of link.addr_info ?? []) {
        // The host's kernel would answer the lab's traffic to it (a port unreachable the device then translates), mixing the host into the evidence.
        if (a.local && lab.has(canonical(a.local))) throw new Error(`${spec.file}: netns: ${where} has the lab's address ${a.local} on ${link.ifname}; remove it (the host's addresses must be none of the lab's clients, servers or routers)`);
      }
    }
    const added: Side[] = [];
    const raw: Partial<Record<Side, RawIpSocket>> = {};
    let socks: Record<Side, PacketSocket> | undefined;
    try {
      if (spec.routes === 'harness') {
        for (const side of [6, 4] as Side[]) {
          try {
            ip(spec, routeArgs(spec, side, 'add'));
          } catch (err) {
            throw new Error(`${spec.file}: routes: cannot add the default route via ${side === 6 ? 'ipv6' : 'ipv4'}.deviceAddress (${(err as Error).message}); remove a route that is in the way or write "operator"`);
          }
          added.push(side);
        }
      }
      socks = openSides(spec);
      for (const side of [6, 4] as Side[]) {
        const name = side === 6 ? 'ipv6' : 'ipv4';
        try {
          raw[side] = openRawIp(side, (side === 6 ? spec.ipv6 : spec.ipv4).interface, { netns: spec.netns });
        } catch (err) {
          throw new Error(`${spec.file}: ${name}.interface: ${(err as Error).message.split('\n')[0]}`);
        }
      }
      return new ExternalRoutedLab(spec, socks, raw as Record<Side, RawIpSocket>, added);
    } catch (err) {
      raw[6]?.close();
      raw[4]?.close();
      socks?.[6].close();
      socks?.[4].close();
      removeRoutes(spec, added);
      throw err;
    }
  }

  /**
   * Has the host's kernel resolve the device on each side before the first
   * case: an echo request from a lab host to the device's address is sent
   * until the neighbour entry has a link-layer address or `ms` pass. A
   * first packet that waits for address resolution would otherwise come out
   * later than a collection waits.
   */
  override async resolve(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (const side of [6, 4] as Side[]) {
      const s = side === 6 ? this.spec.ipv6 : this.spec.ipv4;
      const name = side === 6 ? 'ipv6' : 'ipv4';
      for (let seq = 0; ; seq++) {
        const state = neighbourState(this.spec, side);
        if (state === 'resolved') break;
        if (Date.now() >= deadline) {
          throw new Error(`${this.spec.file}: ${name}.deviceAddress: the host did not resolve ${s.deviceAddress} on ${s.interface} within ${ms / 1000} s (neighbour ${state}); check the wiring and ${name}.deviceAddress`);
        }
        this.send(side, echoTo(side, s.deviceAddress!, seq));
        await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
      }
    }
  }

  override send(side: Side, bytes: Buffer): void {
    const sock = this.raw[side];
    // A packet the kernel would change is not what the case meant to send: the case cannot run here, rather than judge the device on altered input.
    const why = notAsBuilt(side, bytes);
    if (why) throw new NotApplicable(`needs ${why}; in routed mode packets go out through the host's raw sockets`);
    try {
      sock.send(bytes);
    } catch (e) {
      const name = side === 6 ? 'ipv6' : 'ipv4';
      const unrouted = e instanceof LibcError && (e.errno === ENETUNREACH || e.errno === EHOSTUNREACH);
      const fix = unrouted ? `; route it toward ${name}.deviceAddress on ${sock.ifname}, or write "routes": "harness"` : '';
      throw new Error(`sending ${bytes.length} bytes on side ${side} (${sock.ifname}): ${(e as Error).message}${fix}`);
    }
  }

  override close(): void {
    super.close();
    if (this.rawClosed) return;
    this.rawClosed = true;
    this.raw[6].close();
    this.raw[4].close();
    removeRoutes(this.spec, this.added);
  }
}

/** The host's neighbour entry for the device on one side: 'resolved' once it has a link-layer address, else its state. */
function neighbourState(spec: ExternalSpec, side: Side): string {
  const s = side === 6 ? spec.ipv6 : spec.ipv4;
  const rows = JSON.parse(ip(spec, ['-j', `-${side}`, 'neigh', 'show', 'to', s.deviceAddress!, 'dev', s.interface]) || '[]') as { lladdr?: string; state?: string[] }[];
  const row = rows[0];
  if (!row) return 'none';
  const state = (row.state ?? []).join(',') || 'unknown';
  return row.lladdr && !/INCOMPLETE|FAILED/.test(state) ? 'resolved' : state;
}

/** An echo request from the first lab host of the side to the device: the device may answer it or not, the host resolves the device either way. */
function echoTo(side: Side, device: string, seq: number): Buffer {
  const payload = Buffer.from('nat64lab routed resolve');
  if (side === 6) return encode({ ipv6: { src: LAB.client6[0], dst: device, hopLimit: 64 }, icmpv6: { type: 128, code: 0, id: 0x6e6c, seq }, payload });
  return encode({ ipv4: { src: LAB.server4[0], dst: device, ttl: 64 }, icmpv4: { type: 8, code: 0, id: 0x6e6c, seq }, payload });
}

/** Removes the routes the harness added; a namespace already gone took them with it. */
function removeRoutes(spec: ExternalSpec, sides: Side[]): void {
  for (const side of sides) {
    try {
      ip(spec, routeArgs(spec, side, 'del'));
    } catch {
      // Teardown goes on; a route left behind is the namespace's, and leaves with it.
    }
  }
}
