/**
 * Shared pieces of the mapping and filtering suites: opening a flow from the
 * IPv6 side and reading the IPv4 transport address (T,t) the translator
 * chose for it, packets from IPv4 hosts, "was it delivered" on the IPv6
 * side, and the statistics behind the RFC 6056 port-randomisation checks.
 */
import { LAB } from '../../harness/lab/addressing';
import type { Packet, TCPFlags } from '../../harness/packet/types';
import type { CaseContext, Exchange, Seen } from '../../harness/runner/case';
import { echo6, only, tcpSyn6, udp6, v6 } from '../lib/flows';

export type Proto = 'udp' | 'tcp' | 'icmp';

export const [C6A, C6B, C6C, C6D] = LAB.client6;
export const [S4, S4B, S4C] = LAB.server4;

/** An IPv4 transport address (T,t), or for ICMP the (T,i2) pair, as seen in a translated packet. */
export interface Mapping {
  addr: string;
  port: number;
}

/** (T,t) of a packet translated to IPv4: its source address and source port (ICMP: the echo identifier). */
export function mappingOf(seen: Seen | undefined, proto: Proto): Mapping | undefined {
  const p = seen?.packet;
  if (!p?.ipv4) return undefined;
  const port = proto === 'udp' ? p.udp?.sport : proto === 'tcp' ? p.tcp?.sport : p.icmpv4?.id;
  return port === undefined ? undefined : { addr: p.ipv4.src, port };
}

export function fmt(m: Mapping | undefined): string {
  return m ? `${m.addr}:${m.port}` : '(nothing translated)';
}

export function sameMapping(a: Mapping | undefined, b: Mapping | undefined): boolean {
  return !!a && !!b && a.addr === b.addr && a.port === b.port;
}

export interface FlowSpec {
  client?: string;
  /** Source port (ICMP: the ICMPv6 identifier i1). */
  sport: number;
  server?: string;
  /** Destination port (ignored for ICMP). */
  dport?: number;
}

export interface Outbound {
  ex: Exchange;
  /** The single packet translated to the IPv4 side, if exactly one came out. */
  out?: Seen;
  map?: Mapping;
  /** The packet that was sent. */
  packet: Packet;
}

/** The first packet of a flow from the IPv6 side: UDP datagram, TCP SYN or ICMPv6 echo request. */
export function first6(t: CaseContext, proto: Proto, f: FlowSpec): Packet {
  const common = { client: f.client ?? C6A, server: f.server ?? S4 };
  if (proto === 'udp') return udp6(t, { ...common, sport: f.sport, dport: f.dport ?? 9 });
  if (proto === 'tcp') return tcpSyn6(t, { ...common, sport: f.sport, dport: f.dport ?? 80 });
  return echo6(t, { ...common, id: f.sport });
}

/** Open a flow from the IPv6 side and read the mapping from what comes out on the IPv4 side. */
export async function outbound(t: CaseContext, proto: Proto, f: FlowSpec): Promise<Outbound> {
  const packet = first6(t, proto, f);
  const ex = await t.send(6, packet);
  const out = only(ex.out4);
  return { ex, out, map: mappingOf(out, proto), packet };
}

/** UDP from an IPv4 host to a pool transport address. */
export function udp4(src: string, sport: number, dst: string, dport: number, payload = 'nat64lab inbound udp'): Packet {
  return { ipv4: { src, dst, ttl: 64 }, udp: { sport, dport }, payload: Buffer.from(payload) };
}

/** A TCP segment from an IPv4 host to a pool transport address. */
export function tcp4(src: string, sport: number, dst: string, dport: number, flags: TCPFlags, seq = 5000, ack = 0): Packet {
  return { ipv4: { src, dst, ttl: 64 }, tcp: { sport, dport, seq, ack, flags, window: 8192 } };
}

/** An ICMPv4 echo request (type 8) or reply (type 0) from an IPv4 host to (T,i2). */
export function echo4(src: string, dst: string, id: number, type: 0 | 8 = 8): Packet {
  return { ipv4: { src, dst, ttl: 64 }, icmpv4: { type, code: 0, id, seq: 1 }, payload: Buffer.from('nat64lab inbound echo') };
}

/** An inbound packet aimed at a mapping, of the mapping's protocol (TCP: a SYN unless flags are given). */
export function inbound(proto: Proto, src: string, sport: number, m: Mapping, flags?: TCPFlags): Packet {
  if (proto === 'udp') return udp4(src, sport, m.addr, m.port);
  if (proto === 'tcp') return tcp4(src, sport, m.addr, m.port, flags ?? { syn: true });
  return echo4(src, m.addr, m.port);
}

/**
 * The packet an exchange delivered on the IPv6 side to `client` (and, for
 * TCP/UDP, its port; for ICMP, its identifier), if exactly one did.
 */
export function deliveredTo(ex: Exchange, client: string, port: number, proto: Proto): Seen | undefined {
  const s = only(ex.out6);
  const p = s?.packet;
  if (!p?.ipv6 || p.ipv6.dst !== client) return undefined;
  const got = proto === 'udp' ? p.udp?.dport : proto === 'tcp' ? p.tcp?.dport : p.icmpv6?.id;
  return got === port ? s : undefined;
}

/** What came out of an exchange, in one line. */
export function outputs(ex: Exchange): string {
  const side = (l: Seen[]) => l.map((s) => s.packet.ipv4 ? `${s.packet.ipv4.src}→${s.packet.ipv4.dst}${icmpText(s.packet)}` : `${s.packet.ipv6?.src}→${s.packet.ipv6?.dst}${icmpText(s.packet)}`);
  const n4 = ex.out4.length;
  const n6 = ex.out6.length;
  if (n4 + n6 === 0) return 'nothing came out on either side';
  return [n6 ? `IPv6 side: ${side(ex.out6).join(', ')}` : 'nothing on the IPv6 side', n4 ? `IPv4 side: ${side(ex.out4).join(', ')}` : 'nothing on the IPv4 side'].join('; ');
}

function icmpText(p: Packet): string {
  const i = p.icmpv4 ?? p.icmpv6;
  return i ? ` (ICMPv${p.icmpv4 ? 4 : 6} ${i.type}/${i.code ?? 0})` : '';
}

/** ICMP errors an exchange sent back on a side, as "type/code" texts (for MAY rows). */
export function icmpErrors(list: Seen[]): string[] {
  const out: string[] = [];
  for (const s of list) {
    const { icmpv4, icmpv6 } = s.packet;
    if (icmpv4 && [3, 4, 5, 11, 12].includes(icmpv4.type)) out.push(`ICMPv4 ${icmpv4.type}/${icmpv4.code ?? 0}`);
    if (icmpv6 && icmpv6.type < 128) out.push(`ICMPv6 ${icmpv6.type}/${icmpv6.code ?? 0}`);
  }
  return out;
}

/** The server's SYN+ACK for a SYN seen on the IPv4 side, and the client's ACK that completes the handshake. */
export async function establish(t: CaseContext, syn6: Packet, out: Seen): Promise<{ synack: Exchange; ack: Exchange }> {
  const o = out.packet;
  const synack = await t.send(4, tcp4(o.ipv4!.dst, o.tcp!.dport, o.ipv4!.src, o.tcp!.sport, { syn: true, ack: true }, 5000, (o.tcp!.seq ?? 0) + 1));
  const s = syn6.tcp!;
  const ack = await t.send(6, {
    ipv6: { src: syn6.ipv6!.src, dst: syn6.ipv6!.dst, hopLimit: 64 },
    tcp: { sport: s.sport, dport: s.dport, seq: (s.seq ?? 0) + 1, ack: 5001, flags: { ack: true }, window: 8192 },
  });
  return { synack, ack };
}

/**
 * The client's RST for a connection opened with `syn6`: RFC 6146 §3.5.2.2
 * moves an ESTABLISHED session to TRANS and sets its lifetime to exactly
 * TCP_TRANS (V6 INIT only promises "at least TCP_TRANS").
 */
export async function reset6(t: CaseContext, syn6: Packet): Promise<Exchange> {
  const s = syn6.tcp!;
  return t.send(6, {
    ipv6: { src: syn6.ipv6!.src, dst: syn6.ipv6!.dst, hopLimit: 64 },
    tcp: { sport: s.sport, dport: s.dport, seq: (s.seq ?? 0) + 1, ack: 5001, flags: { rst: true, ack: true }, window: 0 },
  });
}

/** A server's IPv6 form under the session's Pref64 (re-exported for the cases). */
export { v6 };

// ---------------------------------------------------------------------------
// Port randomisation (RFC 6056, RFC 7857 §9, RFC 6888 REQ-15)

export interface Unpredictability {
  ok: boolean;
  detail: string;
}

/**
 * Whether a series of external ports, allocated in this order for fresh
 * mappings toward distinct destinations, looks unpredictable. Three tests,
 * all of which must pass:
 *
 *  1. no fixed increment: the most frequent difference between consecutive
 *     ports covers fewer than a quarter of the steps;
 *  2. no small steps: fewer than a quarter of the steps move by 16 or less;
 *  3. spread: the ports span at least an eighth of the range they come from.
 *
 * A sequential allocator (BSD-style next port, with or without parity
 * stepping, from any starting point) fails all three: every step is +1 or +2.
 * An allocator that draws each port uniformly from the range (RFC 6056
 * Algorithm 1/2) passes with overwhelming probability: a step is within ±16
 * with probability about 33/R (R ≥ 32000 values), so with n = 64 samples,
 * P(≥ 16 small steps) < 1e-30; P(spread < R/8) ≈ n·8^-(n-1) < 1e-55; and
 * 16 equal increments are rarer still. Algorithm 3/4 (hash of the
 * destination plus a counter) also passes because every flow of the series
 * goes to a different destination port, and Algorithm 5 (random increments
 * of 1..500) passes tests 1 and 2 (3 % small steps) and, from about 40
 * samples (mean step 250), test 3.
 */
export function unpredictability(ports: number[], lo: number, hi: number): Unpredictability {
  const n = ports.length;
  if (n < 16) return { ok: false, detail: `only ${n} ports observed; at least 16 are needed to judge` };
  const steps: number[] = [];
  for (let i = 1; i < n; i++) steps.push(ports[i] - ports[i - 1]);
  const freq = new Map<number, number>();
  for (const d of steps) freq.set(d, (freq.get(d) ?? 0) + 1);
  let modeStep = 0;
  let modeCount = 0;
  for (const [d, c] of freq) if (c > modeCount) [modeStep, modeCount] = [d, c];
  const small = steps.filter((d) => Math.abs(d) <= 16).length;
  const spread = Math.max(...ports) - Math.min(...ports);
  const range = hi - lo + 1;
  const quarter = steps.length / 4;
  const fixedOk = modeCount < quarter;
  const smallOk = small < quarter;
  const spreadOk = spread >= range / 8;
  const sample = ports.slice(0, 8).join(', ');
  const detail =
    `${n} ports (first: ${sample}, …): most frequent step ${modeStep >= 0 ? '+' : ''}${modeStep} ×${modeCount} of ${steps.length} (${fixedOk ? 'ok' : 'fixed increment'}), ` +
    `${small} steps within ±16 (${smallOk ? 'ok' : 'sequential'}), spread ${spread} of ${range} (${spreadOk ? 'ok' : 'narrow'}; need ≥ ${Math.ceil(range / 8)})`;
  return { ok: fixedOk && smallOk && spreadOk, detail };
}
