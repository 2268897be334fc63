/**
 * Fragmented datagrams through the NAT64, both directions, for UDP, TCP,
 * ICMP and zero-checksum UDP, sent in offset order, last fragment first, and
 * with the offset-0 fragment (the one holding the transport header) last.
 *
 * RFC 6146 §3.4: the NAT64 MUST handle fragments, also out of order; RFC
 * 4787 REQ-14 the same for any NAT. The datagram must arrive whole — checked
 * by putting the emitted fragments back together and comparing the transport
 * header (translated ports, valid checksum) and the payload.
 *
 * Where the target emits one fragment per fragment received (a translator
 * translating "fragment by fragment", or one that reassembles and sends the
 * original pieces on), the per-fragment rules of RFC 7915 §5.1.1 (IPv6 ->
 * IPv4: Identification, MF, DF, offset, Protocol, Total Length) and §4.1
 * (IPv4 -> IPv6: Fragment Header added, its Next Header, offset, M and
 * Identification) are checked pair by pair. A target that reassembles and
 * cuts the datagram anew emits other pieces: those rules are then na.
 */
import { T } from '../../harness/packet/compare';
import type { Expectation } from '../../harness/packet/compare';
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, CaseDef, Seen } from '../../harness/runner/case';
import { only, pool4Addresses, v6 } from '../lib/flows';
import {
  CLIENT,
  ORDERS,
  Order,
  S4,
  SUITE,
  chunks,
  collected,
  describeOrder,
  fragment4,
  fragment6,
  openUdp,
  ordered,
  pattern,
  reassemble4,
  reassemble6,
  sendAll,
  setupFailed,
  udp4,
  udp6,
  whatCameOut,
  dataLength,
  byOffset,
} from './lib';

type Proto = 'udp' | 'tcp' | 'icmp' | 'udp0';

const SUPPORT = ['6146-3.4-frag-support'];
const OOO = ['6146-3.4-frag-out-of-order', '4787-11-req14-ooo'];
const PER_FRAG_6TO4 = ['7915-5.1.1-id', '7915-5.1.1-mf-df', '7915-5.1.1-offset', '7915-5.1.1-protocol', '7915-5.1.1-total-length'];
const PER_FRAG_4TO6 = ['7915-4.1-fh-when', '7915-4.1-fh-nexthdr', '7915-4.1-fh-offset-m', '7915-4.1-fh-id'];

/** RFC 7915 §5.1.1 example value: the IPv4 Identification is the low half, 0xABCD. */
const FH_ID = 0x1234abcd;
/** RFC 7915 §4.1 example value: 0xBEEF becomes 0x0000BEEF. */
const IPV4_ID = 0xbeef;
/**
 * 600 octets of data in fragments of 256: three fragments, small enough that
 * none needs cutting again on either side (the sizes rules are in mtu.ts).
 */
const DATA = 600;
const PIECE = 256;

interface Prepared {
  /** The datagram as sent, whole (for the expectation). */
  fragments: Packet[];
  expected: Expectation;
  /** Protocol number the fragments must carry on the far side. */
  protocol: number;
  label: string;
}

/** Opens whatever the datagram needs (mapping, connection, echo) and builds its fragments; undefined after a failed setup. */
async function prepare(t: CaseContext, dir: '6to4' | '4to6', proto: Proto, ids: string[], sport: number): Promise<Prepared | undefined> {
  const payload = pattern(DATA, sport);
  if (dir === '6to4') {
    if (proto === 'udp') {
      const p = udp6(t, sport, payload);
      return {
        fragments: fragment6(p, chunks(DATA + 8, PIECE), FH_ID),
        protocol: 17,
        label: `${DATA + 8}-octet UDP datagram`,
        expected: { ipv4: { src: T.oneOf(pool4Addresses(t)), dst: S4, protocol: 17 }, udp: { dport: 7, length: DATA + 8, checksum: T.validChecksum() }, payload },
      };
    }
    if (proto === 'icmp') {
      const p: Packet = { ipv6: { src: CLIENT, dst: v6(t, S4), hopLimit: 64 }, icmpv6: { type: 128, code: 0, id: sport, seq: 1 }, payload };
      return {
        fragments: fragment6(p, chunks(DATA + 8, PIECE), FH_ID),
        protocol: 1,
        label: `${DATA + 8}-octet ICMPv6 Echo Request`,
        expected: { ipv4: { src: T.oneOf(pool4Addresses(t)), dst: S4, protocol: 1 }, icmpv4: { type: 8, code: 0, seq: 1, checksum: T.validChecksum() }, payload },
      };
    }
    // TCP: a connection first (RFC 6146 §3.5.2), then one large segment.
    const c = await connect(t, sport);
    if (!c) return undefined;
    const p: Packet = {
      ipv6: { src: CLIENT, dst: v6(t, S4), hopLimit: 64 },
      tcp: { sport, dport: 80, seq: 1001, ack: 7001, flags: { ack: true, psh: true }, window: 65535 },
      payload,
    };
    return {
      fragments: fragment6(p, chunks(DATA + 20, PIECE), FH_ID),
      protocol: 6,
      label: `${DATA + 20}-octet TCP segment`,
      expected: { ipv4: { src: c.T, dst: S4, protocol: 6 }, tcp: { sport: c.t, dport: 80, seq: 1001, checksum: T.validChecksum() }, payload },
    };
  }

  // IPv4 -> IPv6: the IPv4 server answers a flow the client opened.
  if (proto === 'udp' || proto === 'udp0') {
    const { ex, m } = await openUdp(t, sport);
    if (!m) {
      setupFailed(t, ids, 'an outbound UDP datagram opens a mapping', ex);
      return undefined;
    }
    // RFC 6146 §3.4: zero-checksum IPv4 UDP must be reassembled so the IPv6 checksum can be computed.
    const p = udp4(m, payload, {}, proto === 'udp0' ? 0 : undefined);
    return {
      fragments: fragment4(p, chunks(DATA + 8, PIECE), IPV4_ID),
      protocol: 17,
      label: `${DATA + 8}-octet UDP datagram${proto === 'udp0' ? ' with checksum 0' : ''}`,
      expected: { ipv6: { src: v6(t, S4), dst: CLIENT }, udp: { sport: 7, dport: sport, length: DATA + 8, checksum: T.validChecksum() }, payload },
    };
  }
  if (proto === 'icmp') {
    const ex = await t.send(6, { ipv6: { src: CLIENT, dst: v6(t, S4), hopLimit: 64 }, icmpv6: { type: 128, code: 0, id: sport, seq: 1 }, payload: Buffer.from('open') });
    const o = only(ex.out4);
    if (!o?.packet.icmpv4) {
      setupFailed(t, ids, 'an outbound Echo Request opens an ICMP mapping', ex);
      return undefined;
    }
    const p: Packet = { ipv4: { src: S4, dst: o.packet.ipv4!.src, ttl: 64 }, icmpv4: { type: 0, code: 0, id: o.packet.icmpv4.id, seq: 1 }, payload };
    return {
      fragments: fragment4(p, chunks(DATA + 8, PIECE), IPV4_ID),
      protocol: 58,
      label: `${DATA + 8}-octet ICMPv4 Echo Reply`,
      expected: { ipv6: { src: v6(t, S4), dst: CLIENT }, icmpv6: { type: 129, code: 0, id: sport, seq: 1, checksum: T.validChecksum() }, payload },
    };
  }
  const c = await connect(t, sport);
  if (!c) return undefined;
  const p: Packet = { ipv4: { src: S4, dst: c.T, ttl: 64 }, tcp: { sport: 80, dport: c.t, seq: 7001, ack: 1001, flags: { ack: true, psh: true }, window: 65535 }, payload };
  return {
    fragments: fragment4(p, chunks(DATA + 20, PIECE), IPV4_ID),
    protocol: 6,
    label: `${DATA + 20}-octet TCP segment`,
    expected: { ipv6: { src: v6(t, S4), dst: CLIENT }, tcp: { sport: 80, dport: sport, seq: 7001, checksum: T.validChecksum() }, payload },
  };

  async function connect(tc: CaseContext, port: number): Promise<{ T: string; t: number } | undefined> {
    const syn = await tc.send(6, { ipv6: { src: CLIENT, dst: v6(tc, S4), hopLimit: 64 }, tcp: { sport: port, dport: 80, seq: 1000, flags: { syn: true }, window: 65535 } });
    const o = only(syn.out4);
    if (!o?.packet.tcp) {
      setupFailed(tc, ids, 'an outbound SYN is translated', syn);
      return undefined;
    }
    const T4 = o.packet.ipv4!.src;
    const t4 = o.packet.tcp.sport;
    const sa = await tc.send(4, { ipv4: { src: S4, dst: T4, ttl: 64 }, tcp: { sport: 80, dport: t4, seq: 7000, ack: 1001, flags: { syn: true, ack: true }, window: 65535 } });
    if (sa.out6.length !== 1) {
      setupFailed(tc, ids, 'the SYN+ACK reaches the client', sa);
      return undefined;
    }
    await tc.send(6, { ipv6: { src: CLIENT, dst: v6(tc, S4), hopLimit: 64 }, tcp: { sport: port, dport: 80, seq: 1001, ack: 7001, flags: { ack: true }, window: 65535 } });
    return { T: T4, t: t4 };
  }
}

/** The per-fragment expectations of RFC 7915 §5.1.1 (6to4) or §4.1 (4to6) for a received fragment and its translation. */
export function perFragmentChecks(t: CaseContext, dir: '6to4' | '4to6', sent: Packet[], out: Seen[], protocol: number): void {
  const ids = dir === '6to4' ? PER_FRAG_6TO4 : PER_FRAG_4TO6;
  if (!out.length) {
    t.expect(ids, 'translated fragments', false, 'no fragment came out');
    return;
  }
  const inLens = sent.map((p) => p.payload!.length);
  const outLens = out.map(dataLength);
  if (outLens.length !== inLens.length || outLens.some((n, i) => n !== inLens[i])) {
    t.naCheck(ids, 'fragment-by-fragment translation', `the target emitted pieces of ${outLens.join('/')} octets for fragments of ${inLens.join('/')}: it reassembled and cut the datagram anew (RFC 6146 §3.4 allows it), so the per-fragment rules do not apply`);
    return;
  }
  sent.forEach((p, i) => {
    const o = out[i];
    if (dir === '6to4') {
      const fh = p.ipv6!.extensions!.find((e) => e.kind === 'fragment')!;
      const off = fh.kind === 'fragment' ? fh.offset ?? 0 : 0;
      const m = fh.kind === 'fragment' ? !!fh.m : false;
      const label = `fragment at offset ${off * 8}`;
      // §5.1.1: Identification = low-order 16 bits of the FH Identification (0x1234ABCD -> 0xABCD).
      t.expectPacket('7915-5.1.1-id', `${label}: IPv4 Identification 0x${(FH_ID & 0xffff).toString(16)}`, o, { ipv4: { id: FH_ID & 0xffff } });
      // §5.1.1: MF copied from M, DF cleared (further fragmentation allowed).
      t.expectPacket('7915-5.1.1-mf-df', `${label}: MF ${m ? 1 : 0} (the M flag), DF 0`, o, { ipv4: { mf: m, df: false } });
      t.expectPacket('7915-5.1.1-offset', `${label}: Fragment Offset ${off} copied`, o, { ipv4: { fragOffset: off } });
      t.expectPacket('7915-5.1.1-protocol', `${label}: Protocol ${protocol} (the last Next Header, 58 -> 1)`, o, { ipv4: { protocol } });
      // §5.1.1: Payload Length - extension headers before the FH - 8 + 20.
      t.expectPacket('7915-5.1.1-total-length', `${label}: Total Length 20 + ${p.payload!.length} (Payload Length - 8 + 20)`, o, { ipv4: { totalLength: 20 + p.payload!.length } });
    } else {
      const h = p.ipv4!;
      const label = `fragment at offset ${(h.fragOffset ?? 0) * 8}`;
      // §4.1: the packet is a fragment, so a Fragment Header is added and Payload Length counts it.
      t.expectPacket('7915-4.1-fh-when', `${label}: Next Header 44, Payload Length ${p.payload!.length} + 8`, o, { ipv6: { nextHeader: 44, payloadLength: p.payload!.length + 8 } });
      const fh = (x: Record<string, unknown>): Expectation => ({ ipv6: { extensions: [{ kind: 'fragment', ...x }] } });
      t.expectPacket('7915-4.1-fh-nexthdr', `${label}: Fragment Header Next Header ${protocol}`, o, fh({ nextHeader: protocol }));
      t.expectPacket('7915-4.1-fh-offset-m', `${label}: offset ${h.fragOffset ?? 0} and M ${h.mf ? 1 : 0} copied`, o, fh({ offset: h.fragOffset ?? 0, m: !!h.mf }));
      t.expectPacket('7915-4.1-fh-id', `${label}: Identification 0x0000${IPV4_ID.toString(16)} (IPv4 ID in the low 16 bits)`, o, fh({ id: IPV4_ID }));
    }
  });
}

function reassemblyCase(dir: '6to4' | '4to6', proto: Proto, order: Order, sport: number): CaseDef {
  const perFrag = dir === '6to4' ? PER_FRAG_6TO4 : PER_FRAG_4TO6;
  const whole = [...SUPPORT, ...(order === 'in-order' ? [] : OOO), ...(proto === 'udp0' ? ['6146-3.4-udp0-frag-reassemble'] : [])];
  const requirements = [...whole, ...perFrag, ...(proto === 'icmp' ? ['7915-1.2-frag-icmp'] : [])];
  const what = { udp: 'UDP', tcp: 'TCP', icmp: 'ICMP echo', udp0: 'zero-checksum UDP' }[proto];
  return {
    id: `${dir}-${proto}-${order}`,
    suite: SUITE,
    title: `${dir === '6to4' ? 'IPv6 -> IPv4' : 'IPv4 -> IPv6'}: a fragmented ${what} datagram, ${describeOrder(order)}, arrives whole`,
    requirements,
    async run(t) {
      const prep = await prepare(t, dir, proto, requirements.filter((r) => r !== '7915-1.2-frag-icmp'), sport);
      if (!prep) {
        if (proto === 'icmp') t.behaviour('7915-1.2-frag-icmp', 'fragmented ICMP translated', 'not tried: the setup failed');
        return;
      }
      const side = dir === '6to4' ? 6 : 4;
      const sent = ordered(prep.fragments, order);
      const out = collected(await sendAll(t, side, sent));
      const far = dir === '6to4' ? out.out4 : out.out6;
      const back = dir === '6to4' ? out.out6 : out.out4;
      const w = dir === '6to4' ? reassemble4(far) : reassemble6(far);
      const label = `the ${prep.label} sent as ${prep.fragments.length} fragments ${describeOrder(order)} arrives whole (put back together from what came out)`;
      if (w.seen) t.expectPacket(whole, label, w.seen, prep.expected);
      else t.expect(whole, label, false, `${w.problem}; ${whatCameOut(out)}`, [...far, ...back]);
      perFragmentChecks(t, dir, prep.fragments, byOffset(far), prep.protocol);
      if (proto === 'icmp') {
        // RFC 7915 §1.2: a plain translator does not translate fragmented ICMP; RFC 6146 §3.4 makes a NAT64 handle fragments.
        t.behaviour('7915-1.2-frag-icmp', 'fragmented ICMP is translated', w.seen ? 'translated (the NAT64 handles fragmented ICMP, RFC 6146 §3.4)' : `not translated: ${w.problem}`, far);
      }
    },
  };
}

let port = 42000;
const matrix: CaseDef[] = [];
for (const dir of ['6to4', '4to6'] as const) {
  for (const proto of (dir === '6to4' ? ['udp', 'tcp', 'icmp'] : ['udp', 'udp0', 'tcp', 'icmp']) as Proto[]) {
    for (const order of ORDERS) matrix.push(reassemblyCase(dir, proto, order, (port += 2)));
  }
}

export const reassemblyCases: CaseDef[] = matrix;
