/**
 * FAULT payload-alg only: the kind of ALG RFC 4787 REQ-10 and RFC 5382 REQ-6
 * want off by default. On SIP (5060), RTSP (554), H.323 (1720) and DNS (53)
 * it rewrites the textual address literals of the translated packet's old
 * addresses into the new ones, and, like the NAT-PT DNS-ALG of RFC 2766
 * §4.1, turns AAAA questions into A questions toward IPv4 and A records in
 * DNS answers into AAAA records under Pref64. Never used by the correct engine.
 */
import * as dnsPacket from 'dns-packet';
import type { Packet } from '../../harness/packet/types';

const ALG_PORTS = new Set([53, 554, 1720, 5060]);

function replaceAll(payload: Buffer, pairs: [string, string][]): Buffer {
  let text = payload.toString('latin1');
  for (const [from, to] of pairs) if (from) text = text.split(from).join(to);
  return Buffer.from(text, 'latin1');
}

function dnsAlg(payload: Buffer, embed: (ipv4: string) => string): Buffer {
  try {
    const m = dnsPacket.decode(payload);
    if (m.type === 'query') {
      // Toward IPv4: AAAA questions become A questions.
      if (!m.questions?.some((q) => q.type === 'AAAA')) return payload;
      m.questions = m.questions.map((q) => (q.type === 'AAAA' ? { ...q, type: 'A' as const } : q));
      return dnsPacket.encode(m);
    }
    if (!m.answers?.length) return payload;
    m.answers = m.answers.map((a) => (a.type === 'A' ? { type: 'AAAA', name: a.name, ttl: a.ttl, class: a.class, data: embed(a.data as string) } : a)) as typeof m.answers;
    return dnsPacket.encode(m);
  } catch {
    return payload;
  }
}

/** `out` (the translation of `orig`) with its payload rewritten as an ALG would; lengths and checksums recomputed. */
export function algRewrite(orig: Packet, out: Packet, embed: (ipv4: string) => string): Packet {
  const l4 = out.udp ?? out.tcp;
  if (!l4 || !out.payload || !(ALG_PORTS.has(l4.sport) || ALG_PORTS.has(l4.dport))) return out;
  const pairs: [string, string][] =
    orig.ipv6 && out.ipv4
      ? [
          [orig.ipv6.src, out.ipv4.src],
          [orig.ipv6.dst, out.ipv4.dst],
        ]
      : orig.ipv4 && out.ipv6
        ? [
            [orig.ipv4.dst, out.ipv6.dst],
            [orig.ipv4.src, out.ipv6.src],
          ]
        : [];
  let payload = replaceAll(out.payload, pairs);
  if (out.udp && (l4.sport === 53 || l4.dport === 53)) payload = dnsAlg(payload, embed);
  if (payload.equals(out.payload)) return out;
  return {
    ...out,
    payload,
    ...(out.udp ? { udp: { ...out.udp, length: undefined, checksum: undefined } } : {}),
    ...(out.tcp ? { tcp: { ...out.tcp, checksum: undefined } } : {}),
  };
}
