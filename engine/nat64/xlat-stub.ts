/**
 * TEMPORARY stand-in for engine/xlat (the RFC 7915 half, written in
 * parallel) with the same XlatMap / XlatResult types: just enough header
 * translation for the RFC 6146 tests to run before the real one lands.
 * Deleted once engine/xlat/index.ts exports the translation functions.
 */
import { Packet, PROTO } from '../../harness/packet/types';
import type { XlatMap, XlatResult } from '../xlat/types';

const V6_TO_V4_DU: Record<number, number> = { 0: 1, 1: 10, 2: 1, 3: 1, 4: 3 };
const V4_TO_V6_DU: Record<number, number> = { 0: 0, 1: 0, 2: -1, 3: 4, 4: -2, 5: 0, 6: 0, 7: 0, 8: 0, 9: 1, 10: 1, 11: 0, 12: 0, 13: 1, 15: 1 };

function transport(pkt: Packet, out: Packet, map: XlatMap): void {
  if (pkt.udp) out.udp = { sport: map.sport ?? pkt.udp.sport, dport: map.dport ?? pkt.udp.dport };
  if (pkt.tcp) out.tcp = { ...pkt.tcp, sport: map.sport ?? pkt.tcp.sport, dport: map.dport ?? pkt.tcp.dport, checksum: undefined };
}

export function stub6to4(pkt: Packet, map: XlatMap, inner?: XlatMap, quoted = false): XlatResult {
  const h = pkt.ipv6!;
  const out: Packet = {
    ipv4: { src: map.src, dst: map.dst, tos: h.trafficClass ?? 0, ttl: quoted ? h.hopLimit ?? 64 : (h.hopLimit ?? 64) - 1, df: true, id: map.ipv4Id ?? 0 },
    payload: pkt.payload,
  };
  transport(pkt, out, map);
  const icmp = pkt.icmpv6;
  if (icmp) {
    if (icmp.type === 128 || icmp.type === 129) {
      out.icmpv4 = { type: icmp.type === 128 ? 8 : 0, code: 0, id: map.icmpId ?? icmp.id, seq: icmp.seq };
    } else if (icmp.type < 128 && inner && icmp.quote?.ipv6) {
      const q = stub6to4(icmp.quote, inner, undefined, true);
      if (q.kind !== 'ok') return q;
      let type = 3;
      let code = 0;
      const extra: { mtu?: number; pointer?: number } = {};
      if (icmp.type === 1) code = V6_TO_V4_DU[icmp.code ?? 0] ?? 1;
      else if (icmp.type === 2) { code = 4; extra.mtu = (icmp.mtu ?? 1300) - 20; }
      else if (icmp.type === 3) { type = 11; code = icmp.code ?? 0; }
      else return { kind: 'drop', code: 'untranslatable-icmp', reason: 'stub: parameter problem' };
      out.icmpv4 = { type, code, ...extra, quote: q.packet };
    } else {
      return { kind: 'drop', code: 'untranslatable-icmp', reason: `stub: ICMPv6 type ${icmp.type}` };
    }
  }
  if (!pkt.udp && !pkt.tcp && !icmp) out.ipv4!.protocol = lastNextHeader(pkt);
  return { kind: 'ok', packet: out };
}

export function stub4to6(pkt: Packet, map: XlatMap, inner?: XlatMap, quoted = false): XlatResult {
  const h = pkt.ipv4!;
  const out: Packet = {
    ipv6: { src: map.src, dst: map.dst, trafficClass: h.tos ?? 0, hopLimit: quoted ? h.ttl ?? 64 : (h.ttl ?? 64) - 1 },
    payload: pkt.payload,
  };
  transport(pkt, out, map);
  const icmp = pkt.icmpv4;
  if (icmp) {
    if (icmp.type === 8 || icmp.type === 0) {
      out.icmpv6 = { type: icmp.type === 8 ? 128 : 129, code: 0, id: map.icmpId ?? icmp.id, seq: icmp.seq };
    } else if ((icmp.type === 3 || icmp.type === 11) && inner && icmp.quote?.ipv4) {
      const q = stub4to6(icmp.quote, inner, undefined, true);
      if (q.kind !== 'ok') return q;
      let type = 1;
      let code = 0;
      const extra: { mtu?: number; pointer?: number } = {};
      if (icmp.type === 11) { type = 3; code = icmp.code ?? 0; }
      else {
        const c = V4_TO_V6_DU[icmp.code ?? 0];
        if (c === undefined) return { kind: 'drop', code: 'untranslatable-icmp', reason: 'stub: code' };
        if (c === -1) { type = 4; code = 1; extra.pointer = 6; }
        else if (c === -2) { type = 2; code = 0; extra.mtu = (icmp.mtu ?? 1280) + 20; }
        else code = c;
      }
      out.icmpv6 = { type, code, ...extra, quote: q.packet };
    } else {
      return { kind: 'drop', code: 'untranslatable-icmp', reason: `stub: ICMPv4 type ${icmp.type}` };
    }
  }
  if (!pkt.udp && !pkt.tcp && !icmp) out.ipv6!.nextHeader = h.protocol ?? PROTO.IPV6_NONXT;
  return { kind: 'ok', packet: out };
}

function lastNextHeader(p: Packet): number {
  const ext = p.ipv6?.extensions ?? [];
  return ext.length ? ext[ext.length - 1].nextHeader ?? PROTO.IPV6_NONXT : p.ipv6?.nextHeader ?? PROTO.IPV6_NONXT;
}
