/**
 * Endpoint-independent and address-dependent filtering (RFC 6146 §3.5.1,
 * §3.5.3, RFC 4787 §5 REQ-8, RFC 5382 REQ-3, RFC 6888 REQ-7): the target is
 * classified out of the box, and each configured mode is checked against
 * the RFC 6146 rules. ADF in RFC 6146 is per mapping: inbound to (T,t) from
 * W passes only if a session "with an STE source IPv4 transport address
 * equal to (T,t) ... and STE destination IPv4 address equal to W" exists;
 * W's port does not matter, and a session of another mapping of the same
 * host does not count.
 */
import type { FilteringMode } from '../../engine/api';
import type { CaseDef } from '../../harness/runner/case';
import { only, v6 } from '../lib/flows';
import { C6A, S4, S4B, deliveredTo, echo4, fmt, icmpErrors, outbound, outputs, udp4 } from '../mapping/lib';
import { NEW_PORT, classify } from './lib';

const EIF: FilteringMode = 'endpoint-independent';
const ADF: FilteringMode = 'address-dependent';

// ---------------------------------------------------------------- out of the box

const classifyUdpDefault: CaseDef = {
  id: 'classify-udp-default',
  suite: 'filtering',
  title: 'Out of the box, UDP filtering is endpoint-independent (RECOMMENDED) or address-dependent (RFC 4787 REQ-8, RFC 6888 REQ-7)',
  requirements: ['4787-5-req8-filtering', '6888-3-req7-eif'],
  async run(t) {
    const c = await classify(t, 'udp');
    t.expect('4787-5-req8-filtering', 'UDP filtering classifies as endpoint-independent or address-dependent', c.behaviour === EIF || c.behaviour === ADF, c.detail, c.packets);
    t.expect('6888-3-req7-eif', 'UDP filtering is endpoint-independent by default', c.behaviour === EIF, c.detail, c.packets);
  },
};

const classifyTcpDefault: CaseDef = {
  id: 'classify-tcp-default',
  suite: 'filtering',
  title: 'Out of the box, TCP filtering (unsolicited SYNs) is endpoint-independent or address-dependent (RFC 5382 REQ-3)',
  requirements: ['5382-4.3-req3-filtering', '6146-3.5.2.2-v4syn-policy-drop'],
  async run(t) {
    const c = await classify(t, 'tcp');
    t.expect('5382-4.3-req3-filtering', 'TCP filtering classifies as endpoint-independent or address-dependent', c.behaviour === EIF || c.behaviour === ADF, c.detail, c.packets);
    const syn = c.newAddress;
    t.behaviour(
      '6146-3.5.2.2-v4syn-policy-drop',
      'an externally initiated SYN from a never-contacted address, default configuration',
      syn ? (syn.delivered ? 'delivered to the IPv6 host: no policy against externally initiated TCP is active by default' : `not delivered (${outputs(syn.ex)}); the target ${c.behaviour === ADF ? 'filters address-dependently, so this is the ADF hold, not necessarily a policy' : 'may apply such a policy'}`) : c.detail,
      syn ? [...syn.ex.out6, ...syn.ex.out4] : [],
    );
  },
};

// ---------------------------------------------------------------- UDP, configured modes

const udpEif: CaseDef = {
  id: 'udp-eif',
  suite: 'filtering',
  title: 'UDP with endpoint-independent filtering: a never-contacted remote reaches the mapping and gets a session (RFC 6146 §3.5.1)',
  requirements: ['6146-3.5.1-eif-new-session', '6146-3.5.1-adf-any-port', '4787-5-req8a-config'],
  needs: { filtering: EIF },
  async run(t) {
    const c = await classify(t, 'udp');
    const m = c.mapping;
    const x = 44000;
    t.expectPacket('6146-3.5.1-adf-any-port', `${S4}:${NEW_PORT} (contacted address, new port) reaches [${C6A}]:${x}`, c.newPort && only(c.newPort.ex.out6), {
      ipv6: { src: v6(t, S4), dst: C6A },
      udp: { sport: NEW_PORT, dport: x },
    });
    // §3.5.1: a new STE (X',x),(Y'(W),w) <-> (T,t),(W,w) is created and the packet delivered from [Pref64::W]:w.
    t.expectPacket('6146-3.5.1-eif-new-session', `${S4B}:9 (never contacted) reaches [${C6A}]:${x} from [Pref64::${S4B}]:9`, c.newAddress && only(c.newAddress.ex.out6), {
      ipv6: { src: v6(t, S4B), dst: C6A },
      udp: { sport: 9, dport: x },
    });
    if (m) {
      // The host answers the new remote: the session belongs to the same mapping, so the answer leaves from (T,t).
      const back = await outbound(t, 'udp', { client: C6A, sport: x, server: S4B, dport: 9 });
      t.expectPacket('6146-3.5.1-eif-new-session', `[${C6A}]:${x}'s answer to ${S4B}:9 leaves from the same ${fmt(m)}`, back.out, {
        ipv4: { src: m.addr, dst: S4B },
        udp: { sport: m.port, dport: 9 },
      });
    }
    t.behaviour('4787-5-req8a-config', 'filtering configured endpoint-independent', `the target accepted the setting and ${c.behaviour === EIF ? 'filters accordingly' : 'does NOT filter accordingly'}: ${c.detail}`, c.packets);
  },
};

const udpAdf: CaseDef = {
  id: 'udp-adf',
  suite: 'filtering',
  title: 'UDP with address-dependent filtering: only addresses the mapping has sessions with get in, from any port (RFC 6146 §3.5.1)',
  requirements: ['6146-3.5.1-adf-filter', '6146-3.5.1-adf-any-port', '6146-3.5.1-adf-icmp', '4787-5-req8a-config'],
  needs: { filtering: ADF },
  async run(t) {
    const x = 44000;
    const c = await classify(t, 'udp', C6A, x);
    const m = c.mapping;
    t.expectPacket('6146-3.5.1-adf-filter', `control: ${S4}:9 (a session of the mapping exists) reaches [${C6A}]:${x}`, c.reply && only(c.reply.ex.out6), {
      ipv6: { src: v6(t, S4), dst: C6A },
      udp: { sport: 9, dport: x },
    });
    t.expectPacket('6146-3.5.1-adf-any-port', `${S4}:${NEW_PORT} (same address, new port) reaches [${C6A}]:${x}`, c.newPort && only(c.newPort.ex.out6), {
      ipv6: { src: v6(t, S4), dst: C6A },
      udp: { sport: NEW_PORT, dport: x },
    });
    const na = c.newAddress;
    t.expect('6146-3.5.1-adf-filter', `${S4B}:9 (no session with ${S4B}) is discarded`, !!na && na.ex.out6.length === 0, na ? outputs(na.ex) : c.detail, na?.ex.out6);
    const errs = na ? icmpErrors(na.ex.out4) : [];
    t.behaviour('6146-3.5.1-adf-icmp', `ICMP error for the discarded packet from ${S4B}`, errs.length ? `${errs.join(', ')} sent to ${S4B} (3/13 is the one RFC 6146 names)` : 'no ICMP error sent', na?.ex.out4);

    if (m) {
      // A session of another mapping of the same host does not open (T,t): the STE must have source (T,t).
      const x2 = 44002;
      const other = await outbound(t, 'udp', { client: C6A, sport: x2, server: S4B, dport: 53 });
      const ex = await t.send(4, udp4(S4B, 9, m.addr, m.port));
      t.expect('6146-3.5.1-adf-filter', `after [${C6A}]:${x2} (mapping ${fmt(other.map)}) talked to ${S4B}, ${S4B}:9 → ${fmt(m)} is still discarded`, ex.out6.length === 0, outputs(ex), ex.out6);
      if (other.map) {
        const ok = await t.send(4, udp4(S4B, 7777, other.map.addr, other.map.port));
        t.expectPacket(['6146-3.5.1-adf-filter', '6146-3.5.1-adf-any-port'], `${S4B}:7777 → ${fmt(other.map)} (session with ${S4B}:53) reaches [${C6A}]:${x2}`, only(ok.out6), {
          ipv6: { src: v6(t, S4B), dst: C6A },
          udp: { sport: 7777, dport: x2 },
        });
      } else t.expect('6146-3.5.1-adf-filter', `UDP from [${C6A}]:${x2} to ${S4B}:53 is translated`, false, outputs(other.ex));
    }
    t.behaviour('4787-5-req8a-config', 'filtering configured address-dependent', `the target accepted the setting and ${c.behaviour === ADF ? 'filters accordingly' : 'does NOT filter accordingly'}: ${c.detail}`, c.packets);
  },
};

// ---------------------------------------------------------------- TCP, configured modes (reported)

function tcpConfigured(mode: FilteringMode): CaseDef {
  return {
    id: `tcp-${mode === EIF ? 'eif' : 'adf'}`,
    suite: 'filtering',
    title: `TCP filtering configured ${mode}: classification with unsolicited SYNs (RFC 5382 REQ-3a, reported)`,
    requirements: ['5382-4.3-req3a-config', '5382-4.3-req3b-independent'],
    needs: { filtering: mode },
    async run(t) {
      const c = await classify(t, 'tcp', C6A, 44010);
      t.behaviour('5382-4.3-req3a-config', `TCP filtering configured ${mode}`, `the target accepted the setting and ${c.behaviour === mode ? 'filters accordingly' : 'does NOT filter accordingly'}: ${c.detail}`, c.packets);
      t.naCheck('5382-4.3-req3b-independent', 'TCP filtering set independently of UDP', 'the lab target interface has one filtering setting for all protocols');
    },
  };
}

// ---------------------------------------------------------------- ICMP queries

const icmpEif: CaseDef = {
  id: 'icmp-eif',
  suite: 'filtering',
  title: 'ICMP with endpoint-independent filtering: an echo request from a never-contacted address reaches (X\',i1) (RFC 6146 §3.5.3)',
  requirements: ['6146-3.5.3-v4-query-new-session'],
  needs: { filtering: EIF },
  async run(t) {
    const i1 = 0x5150;
    const c = await classify(t, 'icmp', C6A, i1);
    t.expectPacket('6146-3.5.3-v4-query-new-session', `echo request from ${S4B} (never contacted) to ${fmt(c.mapping)} reaches ${C6A} with identifier ${i1}`, c.newAddress && only(c.newAddress.ex.out6), {
      ipv6: { src: v6(t, S4B), dst: C6A },
      icmpv6: { type: 128, id: i1 },
    });
  },
};

const icmpAdf: CaseDef = {
  id: 'icmp-adf',
  suite: 'filtering',
  title: 'ICMP with address-dependent filtering: queries to (T,i2) only from addresses with a session on (T,i2) (RFC 6146 §3.5.3)',
  requirements: ['6146-3.5.3-adf'],
  needs: { filtering: ADF },
  async run(t) {
    const i1 = 0x5151;
    const c = await classify(t, 'icmp', C6A, i1);
    const m = c.mapping;
    t.expectPacket('6146-3.5.3-adf', `control: echo reply from ${S4} (session on ${fmt(m)}) reaches ${C6A} with identifier ${i1}`, c.reply && only(c.reply.ex.out6), {
      ipv6: { src: v6(t, S4), dst: C6A },
      icmpv6: { type: 129, id: i1 },
    });
    const na = c.newAddress;
    const errs = na ? icmpErrors(na.ex.out4) : [];
    t.expect('6146-3.5.3-adf', `echo request from ${S4B} (no session on ${fmt(m)}) is discarded`, !!na && na.ex.out6.length === 0, `${na ? outputs(na.ex) : c.detail}${errs.length ? `; ${errs.join(', ')} sent back` : ''}`, na?.ex.out6);
    if (!m) return;
    // A session of another identifier of the same host does not open (T,i2).
    const i1b = 0x5152;
    const other = await outbound(t, 'icmp', { client: C6A, sport: i1b, server: S4B });
    const ex = await t.send(4, echo4(S4B, m.addr, m.port, 8));
    t.expect('6146-3.5.3-adf', `after ${C6A} pinged ${S4B} with identifier ${i1b} (${fmt(other.map)}), ${S4B} → ${fmt(m)} is still discarded`, ex.out6.length === 0, outputs(ex), ex.out6);
    if (other.map) {
      const ok = await t.send(4, echo4(S4B, other.map.addr, other.map.port, 8));
      t.expect('6146-3.5.3-adf', `${S4B} → ${fmt(other.map)} (its own session) reaches ${C6A} with identifier ${i1b}`, !!deliveredTo(ok, C6A, i1b, 'icmp'), outputs(ok), ok.out6);
    }
  },
};

export const modeCases: CaseDef[] = [classifyUdpDefault, classifyTcpDefault, udpEif, udpAdf, tcpConfigured(EIF), tcpConfigured(ADF), icmpEif, icmpAdf];
