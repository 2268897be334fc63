/**
 * Endpoint-independent mapping (RFC 6146 §5.2, RFC 4787 REQ-1, RFC 5382
 * REQ-1) for UDP, TCP and ICMP identifiers, and the protocol dependence of
 * mappings (RFC 7857 §5, RFC 6146 §3.1: one BIB per protocol).
 */
import { LAB } from '../../harness/lab/addressing';
import { T } from '../../harness/packet/compare';
import type { CaseDef, Seen } from '../../harness/runner/case';
import { pool4Addresses } from '../lib/flows';
import { C6A, C6B, S4, S4B, S4C, deliveredTo, establish, fmt, outbound, outputs, reset6, sameMapping, tcp4, udp4 } from './lib';
import type { Mapping, Proto } from './lib';

const ADM_NA =
  'the lab target interface has no mapping-mode setting, so an optional address-dependent mapping mode cannot be switched on and verified; the default mapping is checked as 6146-5.2-eim';

/** Destinations of one IPv6 source transport address: other addresses and other ports (RFC 4787 §4.1 X:x → Y1:y1, Y2:y2). */
const EIM_PLAN: Record<Proto, { ids: string[]; sport: number; dests: [string, number][] }> = {
  udp: { ids: ['6146-5.2-eim', '4787-4.1-req1-eim'], sport: 40000, dests: [[S4, 9], [S4B, 9], [S4, 10], [S4C, 53]] },
  tcp: { ids: ['6146-5.2-eim', '5382-4.1-req1-eim'], sport: 40001, dests: [[S4, 80], [S4B, 443], [S4C, 80]] },
  icmp: { ids: ['6146-5.2-eim'], sport: 0x4d2, dests: [[S4, 0], [S4B, 0], [S4C, 0]] },
};

function eimCase(proto: Proto): CaseDef {
  const plan = EIM_PLAN[proto];
  const extra = proto === 'udp' ? ['6146-5.2-adm'] : [];
  const what = proto === 'icmp' ? `(${C6A}, identifier ${plan.sport})` : `[${C6A}]:${plan.sport}`;
  return {
    id: `eim-${proto}`,
    suite: 'mapping',
    title: `${proto.toUpperCase()}: one IPv6 source ${proto === 'icmp' ? 'address and identifier' : 'transport address'} keeps one (T,t) toward every destination (RFC 6146 §5.2)`,
    requirements: [...plan.ids, '6146-3-v4pool', ...extra],
    async run(t) {
      const pool = pool4Addresses(t);
      const seen: Seen[] = [];
      const lines: string[] = [];
      const maps: (Mapping | undefined)[] = [];
      for (const [server, dport] of plan.dests) {
        const o = await outbound(t, proto, { client: C6A, sport: plan.sport, server, dport });
        const dest = proto === 'icmp' ? server : `${server}:${dport}`;
        // RFC 6146 §3: the translated source is one of the NAT64's own IPv4 (pool4) addresses.
        t.expectPacket('6146-3-v4pool', `${proto} from ${what} to ${dest}: IPv4 source is a pool4 address`, o.out, { ipv4: { src: T.oneOf(pool) } });
        if (o.out) seen.push(o.out);
        maps.push(o.map);
        lines.push(`${dest} → ${fmt(o.map)}`);
      }
      const allSame = maps.every((m) => sameMapping(m, maps[0]));
      t.expect(plan.ids, `${what} is mapped to the same (T,t) for ${plan.dests.length} destinations`, allSame, lines.join('; '), seen);
      if (extra.length) t.naCheck('6146-5.2-adm', 'address-dependent mapping offered as an option', ADM_NA);
    },
  };
}

/**
 * RFC 7857 §5: mappings are protocol dependent by default, i.e. a UDP and a
 * TCP mapping of the same (X',x) live and die on their own. Two source
 * ports, run in parallel on the virtual clock:
 *   A: UDP + a TCP connection reset by the client (TRANS, exactly TCP_TRANS):
 *      the TCP mapping expires first; the UDP one must still work and the
 *      TCP one must be gone.
 *   B: UDP + an ESTABLISHED TCP connection (TCP_EST): the UDP mapping expires
 *      first; the TCP one must still work and the UDP one must be gone.
 * A single protocol-independent mapping would be kept alive by the other
 * protocol in both phases.
 */
const protocolDependent: CaseDef = {
  id: 'eim-protocol-dependent',
  suite: 'mapping',
  title: 'UDP and TCP mappings of one (X\',x) are separate and expire on their own (RFC 7857 §5, default)',
  requirements: ['7857-5-eim-proto-dep', '7857-5-eim-default', '7857-5-eim-knob'],
  needs: { virtualClock: true },
  async run(t) {
    const ids = ['7857-5-eim-proto-dep', '7857-5-eim-default'];
    const { udp, tcpTransitory: trans, tcpEstablished: est } = t.config.timeouts;
    if (!(trans < udp && udp < est)) t.na(`needs TCP_TRANS < UDP lifetime < TCP_EST; the target has ${trans} s, ${udp} s, ${est} s`);
    const xA = 41000;
    const xB = 41002;
    const uA = await outbound(t, 'udp', { client: C6A, sport: xA, server: S4, dport: 9 });
    const tA = await outbound(t, 'tcp', { client: C6A, sport: xA, server: S4, dport: 80 });
    if (tA.out) {
      await establish(t, tA.packet, tA.out);
      await reset6(t, tA.packet);
    }
    const uB = await outbound(t, 'udp', { client: C6A, sport: xB, server: S4, dport: 9 });
    const tB = await outbound(t, 'tcp', { client: C6A, sport: xB, server: S4, dport: 80 });
    if (tB.out) await establish(t, tB.packet, tB.out);
    t.note(`[${C6A}]:${xA}: UDP ${fmt(uA.map)}, TCP ${fmt(tA.map)} (reset: TRANS); [${C6A}]:${xB}: UDP ${fmt(uB.map)}, TCP ${fmt(tB.map)} (established)`);

    // Phase A at TCP_TRANS + 1 s: the TRANS session and its dynamic TCP BIB entry are gone (RFC 6146 §3.5.2.2, §3.1).
    await t.advance((trans + 1) * 1000);
    if (tA.map) {
      const ex = await t.send(4, tcp4(S4, 80, tA.map.addr, tA.map.port, { syn: true }));
      const got = deliveredTo(ex, C6A, xA, 'tcp');
      t.expect(ids, `after ${trans + 1} s the TCP mapping ${fmt(tA.map)} of port ${xA} has expired although its UDP mapping lives: a SYN from ${S4}:80 is not delivered`, !got, outputs(ex), ex.out6);
    } else t.expect(ids, `TCP SYN from [${C6A}]:${xA} is translated`, false, outputs(tA.ex));
    if (uA.map) {
      const ex = await t.send(4, udp4(S4, 9, uA.map.addr, uA.map.port));
      const got = deliveredTo(ex, C6A, xA, 'udp');
      t.expect(ids, `after ${trans + 1} s the UDP mapping ${fmt(uA.map)} of port ${xA} still delivers although its TCP mapping expired`, !!got, outputs(ex), ex.out6);
    } else t.expect(ids, `UDP from [${C6A}]:${xA} is translated`, false, outputs(uA.ex));

    // Phase B at UDP lifetime + 1 s: the UDP session is gone, the established TCP session is not.
    await t.advance((udp - trans) * 1000);
    if (uB.map) {
      const ex = await t.send(4, udp4(S4, 9, uB.map.addr, uB.map.port));
      const got = deliveredTo(ex, C6A, xB, 'udp');
      t.expect(ids, `after ${udp + 1} s the UDP mapping ${fmt(uB.map)} of port ${xB} has expired although its TCP connection is established: UDP from ${S4}:9 is not delivered`, !got, outputs(ex), ex.out6);
    } else t.expect(ids, `UDP from [${C6A}]:${xB} is translated`, false, outputs(uB.ex));
    if (tB.map) {
      const ex = await t.send(4, tcp4(S4, 80, tB.map.addr, tB.map.port, { ack: true }, 5001, 1001));
      const got = deliveredTo(ex, C6A, xB, 'tcp');
      t.expect(ids, `after ${udp + 1} s the established TCP mapping ${fmt(tB.map)} of port ${xB} still delivers although its UDP mapping expired`, !!got, outputs(ex), ex.out6);
    } else t.expect(ids, `TCP SYN from [${C6A}]:${xB} is translated`, false, outputs(tB.ex));

    t.naCheck('7857-5-eim-knob', 'a setting for one shared TCP+UDP mapping', 'the lab target interface has no protocol-independent mapping setting to switch on');
  },
};

/**
 * RFC 6146 §3.5.1.1 / §3.5.2.3: (T,t) "can be in use in other BIBs". A pool
 * of one address whose UDP and TCP ranges hold the single port 5000 forces
 * the question: once UDP holds T:5000, does a TCP mapping of another host
 * get T:5000 too (separate port spaces), or nothing?
 */
const crossBib: CaseDef = {
  id: 'cross-bib-reuse',
  suite: 'mapping',
  title: 'One (T,t) in the UDP and the TCP BIB at the same time (RFC 6146 §3.5.1.1 MAY, reported)',
  requirements: ['6146-3.5.1.1-cross-bib'],
  needs: { pool4: [{ address: LAB.pool4[0], ports: { udp: { min: 5000, max: 5000 }, tcp: { min: 5000, max: 5000 } } }] },
  async run(t) {
    const u = await outbound(t, 'udp', { client: C6A, sport: 40000, server: S4, dport: 9 });
    const tc = await outbound(t, 'tcp', { client: C6B, sport: 40001, server: S4, dport: 80 });
    let detail: string;
    if (!u.map) detail = `the UDP flow was not translated (${outputs(u.ex)}), so nothing can be said`;
    else if (sameMapping(u.map, tc.map)) detail = `UDP [${C6A}]:40000 and TCP [${C6B}]:40001 both use ${fmt(u.map)}: the TCP and UDP port spaces are separate`;
    else if (tc.map) detail = `UDP got ${fmt(u.map)}, TCP got ${fmt(tc.map)} (outside the configured single-port range)`;
    else detail = `UDP got ${fmt(u.map)}; the TCP SYN got no mapping (${outputs(tc.ex)}): a (T,t) used in the UDP BIB is not reused in the TCP BIB`;
    t.behaviour('6146-3.5.1.1-cross-bib', 'a (T,t) held by a UDP mapping is also given to a TCP mapping', detail, [u.out, tc.out].filter((s): s is Seen => !!s));
  },
};

export const eimCases: CaseDef[] = [eimCase('udp'), eimCase('tcp'), eimCase('icmp'), protocolDependent, crossBib];
