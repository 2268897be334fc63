/**
 * Shared pieces of the resources suite: opening flows and reading their
 * mapping (from the mapping suite's helpers), the server's reply that shows
 * an existing mapping still works, and the checks of a refused flow: dropped,
 * answered with ICMPv6 Destination Unreachable.
 *
 * The ICMP code on refusal is where the RFCs disagree
 * (requirements-summary.md, conflict 1): RFC 6146 §3.5.1.1/§3.5.2.3 say
 * code 3 (address unreachable), RFC 5508 REQ-8 says code 13 "administratively
 * prohibited" (ICMPv6 1/1), RFC 6888 REQ-11b says code 1 "host unreachable"
 * (ICMPv6 1/0). The suite scores the RFC 6146 rows against code 3 only; the
 * RFC 5508 and RFC 6888 rows accept their own code or RFC 6146's 3 (the NAT64
 * specification takes precedence for a NAT64), so a device following any of
 * the three passes its own row and the code it chose is reported.
 */
import { T } from '../../harness/packet/compare';
import type { Expectation, Tolerance } from '../../harness/packet/compare';
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, Exchange, Seen } from '../../harness/runner/case';
import { only } from '../lib/flows';
import { deliveredTo, echo4, fmt, outbound, outputs, tcp4, udp4 } from '../mapping/lib';
import type { FlowSpec, Mapping, Outbound, Proto } from '../mapping/lib';

export const SUITE = 'resources';

export { fmt, outbound, outputs };
export type { Mapping, Outbound, Proto };

export const CONFLICT_NOTE =
  'ICMP code on refusal: RFC 6146 asks ICMPv6 1/3, RFC 5508 REQ-8 code 13 (ICMPv6 1/1), RFC 6888 REQ-11b code 1 (ICMPv6 1/0); ' +
  'the RFC 6146 rows are scored against 1/3, the RFC 5508 / RFC 6888 rows accept their own code or 1/3 (requirements-summary.md, conflict 1).';

/** A flow that was opened, with the spec that opened it. */
export interface Flow extends Outbound {
  proto: Proto;
  spec: Required<FlowSpec>;
}

/** Open a flow from the IPv6 side (UDP datagram, TCP SYN, ICMPv6 echo request). */
export async function open(t: CaseContext, proto: Proto, client: string, sport: number, server: string, dport = proto === 'tcp' ? 80 : 9): Promise<Flow> {
  const spec = { client, sport, server, dport };
  return { ...(await outbound(t, proto, spec)), proto, spec };
}

/** The server's answer to a flow's first packet: UDP back, SYN+ACK, echo reply. */
export function reply4(f: Flow): Packet | undefined {
  const m = f.map;
  if (!m) return undefined;
  const { server, dport } = f.spec;
  if (f.proto === 'udp') return udp4(server, dport, m.addr, m.port, 'nat64lab resources reply');
  if (f.proto === 'tcp') return tcp4(server, dport, m.addr, m.port, { syn: true, ack: true }, 7000, 1001);
  return echo4(server, m.addr, m.port, 0);
}

/** Whether a flow still works: the server's answer reaches the client. */
export async function stillWorks(t: CaseContext, f: Flow): Promise<{ ok: boolean; detail: string; packets: Seen[] }> {
  const p = reply4(f);
  if (!p) return { ok: false, detail: `${label(f)} never had a mapping`, packets: [] };
  const ex = await t.send(4, p);
  const got = deliveredTo(ex, f.spec.client, f.spec.sport, f.proto);
  return { ok: !!got, detail: `${label(f)} via ${fmt(f.map)}: ${got ? 'answer delivered' : outputs(ex)}`, packets: [...ex.out4, ...ex.out6] };
}

/** Check that every flow in `flows` still works (one check per call, listing the broken ones). */
export async function allStillWork(t: CaseContext, ids: string | string[], what: string, flows: Flow[]): Promise<boolean> {
  const bad: string[] = [];
  const packets: Seen[] = [];
  for (const f of flows) {
    const r = await stillWorks(t, f);
    if (!r.ok) {
      bad.push(r.detail);
      packets.push(...r.packets);
    }
  }
  return t.expect(ids, what, bad.length === 0, bad.length ? `${bad.length} of ${flows.length} broken: ${bad.join('; ')}` : `all ${flows.length} answered through their mappings`, packets);
}

export function label(f: Flow): string {
  const { client, sport, server } = f.spec;
  return `${f.proto.toUpperCase()} [${client}]:${sport} → ${server}`;
}

/** Whether the flow's first packet got a translation (exactly one packet on the IPv4 side). */
export function translated(f: Flow): boolean {
  return !!f.map;
}

/** Record a failure for `ids` when flows the case needs as a starting point did not open. */
export function setupOk(t: CaseContext, ids: string[], what: string, flows: Flow[]): boolean {
  const bad = flows.filter((f) => !f.map);
  if (!bad.length) return true;
  t.expect(ids, what, false, bad.map((f) => `${label(f)}: ${outputs(f.ex)}`).join('; '), bad.flatMap((f) => [...f.ex.out4, ...f.ex.out6]));
  return false;
}

/** The quote an ICMPv6 error about the flow's first packet carries. */
function quoteOf(f: Flow): Expectation {
  const p = f.packet;
  const ip = { src: p.ipv6!.src, dst: p.ipv6!.dst };
  if (f.proto === 'udp') return { ipv6: ip, udp: { sport: f.spec.sport, dport: f.spec.dport } };
  if (f.proto === 'tcp') return { ipv6: ip, tcp: { sport: f.spec.sport, dport: f.spec.dport } };
  return { ipv6: ip, icmpv6: { type: 128, id: f.spec.sport } };
}

export interface RefusalIds {
  /** Rows that require the packet to be dropped. */
  drop: string[];
  /** RFC 6146 rows: ICMPv6 1/3. */
  icmp6146?: string[];
  /** Also score RFC 5508 REQ-8 (1/3 or 1/1) and RFC 6888 REQ-11b (1/3 or 1/0). */
  rfc5508?: boolean;
  rfc6888?: boolean;
}

/** The checks of a flow that must be refused: nothing on the IPv4 side, an ICMPv6 Destination Unreachable back. */
export function refusal(t: CaseContext, f: Flow, ids: RefusalIds, why: string): void {
  const ex = f.ex;
  if (ids.drop.length) t.expect(ids.drop, `${label(f)} (${why}) is not translated`, ex.out4.length === 0, outputs(ex), ex.out4);
  const err = only(ex.out6);
  const base = (code: number | Tolerance): Expectation => ({
    ipv6: { dst: f.spec.client },
    icmpv6: { type: 1, code, checksum: T.validChecksum(), quote: quoteOf(f) },
  });
  if (ids.icmp6146?.length) t.expectPacket(ids.icmp6146, `${label(f)}: ICMPv6 Destination Unreachable 1/3 (address unreachable) to the sender (RFC 6146)`, err, base(3));
  if (ids.rfc5508) t.expectPacket('5508-6-req8-reject', `${label(f)}: ICMPv6 Destination Unreachable, code 3 (RFC 6146) or 1 (RFC 5508's code 13)`, err, base(T.oneOf([3, 1])));
  if (ids.rfc6888) t.expectPacket('6888-3-req11b-icmp', `${label(f)}: ICMPv6 Destination Unreachable, code 3 (RFC 6146) or 0 (RFC 6888's host unreachable)`, err, base(T.oneOf([3, 0])));
  if (ids.rfc5508 || ids.rfc6888) {
    const code = err?.packet.icmpv6?.type === 1 ? err.packet.icmpv6.code : undefined;
    t.note(`${label(f)} refused: ${code === undefined ? 'no ICMPv6 Destination Unreachable' : `ICMPv6 1/${code}`}. ${CONFLICT_NOTE}`);
  }
}

/** What came out of an exchange for the report (re-exported for the cases). */
export function seenOf(ex: Exchange): Seen[] {
  return [...ex.out4, ...ex.out6];
}

/** IPv6 hosts beyond the four lab clients, inside the lab's client /64. */
export function host(i: number): string {
  return `2001:db8:6::${(0x100 + i).toString(16)}`;
}

/** IPv4 servers beyond the lab's three, inside 198.18.0.0/15 away from the pool and the router. */
export function server(i: number): string {
  return `198.18.101.${1 + i}`;
}
