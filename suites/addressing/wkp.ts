/**
 * The Well-Known Prefix 64:ff9b::/96: the last 32 bits carry the IPv4
 * address (RFC 6052 §2.1/§2.2), and a packet whose WKP address would carry a
 * non-global IPv4 address is dropped (RFC 6052 §3.1). Global cases use the
 * lab's ordinary-unicast servers (100.0.0.x); the non-global ones use the
 * private, shared, link-local, documentation and benchmarking ranges on
 * purpose — including the lab's own 198.18.100.x servers.
 */
import type { CaseDef } from '../../harness/runner/case';
import { udpReply4 } from '../lib/flows';
import {
  CLIENT,
  S4_GLOBAL,
  S4_GLOBAL2,
  S4_GLOBAL2_UNDER_WKP,
  S4_GLOBAL_UNDER_WKP,
  WKP,
  outputs,
  single,
  udpFrom4,
  udpTo,
} from './lib';

/** Non-global destinations (RFC 6052 §3.1: RFC 1918 and RFC 5735 §3 ranges, plus RFC 6598), as WKP addresses. */
const NON_GLOBAL_DST: { v4: string; v6: string; range: string }[] = [
  { v4: '10.0.0.1', v6: '64:ff9b::a00:1', range: '10.0.0.0/8 private (RFC 1918)' },
  { v4: '172.16.0.1', v6: '64:ff9b::ac10:1', range: '172.16.0.0/12 private (RFC 1918)' },
  { v4: '192.168.0.1', v6: '64:ff9b::c0a8:1', range: '192.168.0.0/16 private (RFC 1918)' },
  { v4: '169.254.1.1', v6: '64:ff9b::a9fe:101', range: '169.254.0.0/16 link local' },
  { v4: '100.64.0.1', v6: '64:ff9b::6440:1', range: '100.64.0.0/10 shared address space (RFC 6598)' },
  { v4: '192.0.2.1', v6: '64:ff9b::c000:201', range: '192.0.2.0/24 documentation' },
  { v4: '198.18.100.10', v6: '64:ff9b::c612:640a', range: '198.18.0.0/15 benchmarking (the lab server)' },
  { v4: '127.0.0.1', v6: '64:ff9b::7f00:1', range: '127.0.0.0/8 loopback' },
];

/** Non-global IPv4 sources that would have to become 64:ff9b:: sources. */
const NON_GLOBAL_SRC: { v4: string; range: string }[] = [
  { v4: '10.0.0.5', range: '10.0.0.0/8 private (RFC 1918)' },
  { v4: '172.16.0.5', range: '172.16.0.0/12 private (RFC 1918)' },
  { v4: '192.168.1.5', range: '192.168.0.0/16 private (RFC 1918)' },
  { v4: '169.254.1.5', range: '169.254.0.0/16 link local' },
  { v4: '100.64.0.5', range: '100.64.0.0/10 shared address space (RFC 6598)' },
  { v4: '198.51.100.9', range: '198.51.100.0/24 documentation' },
  { v4: '198.18.100.11', range: '198.18.0.0/15 benchmarking (a lab server)' },
];

export const wkpCases: CaseDef[] = [
  {
    id: 'embed-wkp',
    suite: 'addressing',
    title: 'Well-Known Prefix 64:ff9b::/96: the IPv4 address is the last 32 bits, both directions',
    requirements: ['6052-2.2-embed-wkp'],
    needs: { pool6: WKP },
    async run(t) {
      const out = await t.send(6, udpTo(S4_GLOBAL_UNDER_WKP));
      const o4 = single(out.out4);
      t.expectPacket('6052-2.2-embed-wkp', `${S4_GLOBAL_UNDER_WKP} is translated to ${S4_GLOBAL}`, o4, { ipv4: { dst: S4_GLOBAL }, udp: { dport: 7 } });
      const back = o4 ? single((await t.send(4, udpReply4(o4))).out6) : undefined;
      t.expectPacket('6052-2.2-embed-wkp', `the reply from ${S4_GLOBAL} arrives from ${S4_GLOBAL_UNDER_WKP}`, back, {
        ipv6: { src: S4_GLOBAL_UNDER_WKP, dst: CLIENT },
        udp: { sport: 7, dport: 40000 },
      });
    },
  },
  {
    id: 'wkp-non-global-destination',
    suite: 'addressing',
    title: 'Well-Known Prefix: IPv6 packets to 64:ff9b::<non-global IPv4> are dropped (RFC 6052 §3.1)',
    requirements: ['6052-3.1-wkp-drop-dst'],
    needs: { pool6: WKP },
    async run(t) {
      // Control: the same flow to a global address is translated, so the drops below are the §3.1 rule, not a dead target.
      const ctl = await t.send(6, udpTo(S4_GLOBAL_UNDER_WKP, { sport: 41000 }));
      t.expect('6052-3.1-wkp-drop-dst', `control: ${S4_GLOBAL_UNDER_WKP} (global) is translated`, single(ctl.out4)?.packet.ipv4?.dst === S4_GLOBAL, outputs(ctl), [...ctl.out4]);
      let sport = 41001;
      for (const d of NON_GLOBAL_DST) {
        const ex = await t.send(6, udpTo(d.v6, { sport: sport++ }));
        t.expect('6052-3.1-wkp-drop-dst', `${d.v6} (${d.range}) is not translated`, ex.out4.length === 0, outputs(ex), ex.out4);
      }
    },
  },
  {
    id: 'wkp-non-global-source',
    suite: 'addressing',
    title: 'Well-Known Prefix: IPv4 packets from non-global sources are dropped (RFC 6052 §3.1)',
    requirements: ['6052-3.1-wkp-drop-src'],
    // Endpoint-independent filtering lets any source reach the mapping, so only §3.1 can stop them.
    needs: { pool6: WKP, filtering: 'endpoint-independent' },
    async run(t) {
      const out = await t.send(6, udpTo(S4_GLOBAL_UNDER_WKP));
      const o4 = single(out.out4);
      if (!o4?.packet.ipv4 || !o4.packet.udp) {
        t.expect('6052-3.1-wkp-drop-src', `setup: the outbound packet to ${S4_GLOBAL_UNDER_WKP} is translated`, false, outputs(out));
        return;
      }
      const T4 = o4.packet.ipv4.src;
      const t4 = o4.packet.udp.sport;
      const ctl = await t.send(4, udpFrom4(S4_GLOBAL2, T4, 7, t4));
      t.expectPacket('6052-3.1-wkp-drop-src', `control: ${S4_GLOBAL2} (global) reaches the mapping as ${S4_GLOBAL2_UNDER_WKP}`, single(ctl.out6), {
        ipv6: { src: S4_GLOBAL2_UNDER_WKP, dst: CLIENT },
      });
      for (const s of NON_GLOBAL_SRC) {
        const ex = await t.send(4, udpFrom4(s.v4, T4, 7, t4));
        t.expect('6052-3.1-wkp-drop-src', `UDP from ${s.v4} (${s.range}) to ${T4}:${t4} is not translated`, ex.out6.length === 0, outputs(ex), ex.out6);
      }
    },
  },
];
