/**
 * Inbound traffic that no mapping admits: UDP to a (T,t) without a BIB
 * entry (RFC 6146 §3.5.1), traffic of another protocol than the one that
 * created the mapping (RFC 7857 §6), and filtered packets that must not keep
 * a mapping alive (RFC 7857 §7).
 */
import type { CaseDef } from '../../harness/runner/case';
import { only, pool4Addresses, v6 } from '../lib/flows';
import { C6A, S4, S4B, deliveredTo, establish, fmt, icmpErrors, outbound, outputs, reset6, tcp4, udp4 } from '../mapping/lib';

/**
 * RFC 6146 §3.5.1: "If such an entry does not exist, the packet MUST be
 * dropped." Probed on a fresh translator (no BIB entry at all), and next to
 * a live mapping (T,t): the neighbouring port of the same address, and the
 * same port on the other pool address. The mapped (T,t) itself is the
 * control that the translator does deliver inbound UDP.
 */
const noBibUdp: CaseDef = {
  id: 'no-bib-udp',
  suite: 'filtering',
  title: 'Inbound UDP to a pool transport address without a BIB entry is dropped (RFC 6146 §3.5.1)',
  requirements: ['6146-3.5.1-v4-no-bib-drop', '6146-3.5.1-v4-no-bib-icmp'],
  async run(t) {
    const pool = pool4Addresses(t);
    const icmp: string[] = [];
    const fresh = await t.send(4, udp4(S4, 9, pool[0], 40000));
    t.expect('6146-3.5.1-v4-no-bib-drop', `${S4}:9 → ${pool[0]}:40000 with no BIB entry at all is dropped`, fresh.out6.length === 0, outputs(fresh), fresh.out6);
    icmp.push(`fresh ${pool[0]}:40000: ${icmpErrors(fresh.out4).join(', ') || 'none'}`);

    const o = await outbound(t, 'udp', { client: C6A, sport: 40000, server: S4, dport: 9 });
    const m = o.map;
    if (!m) {
      t.expect('6146-3.5.1-v4-no-bib-drop', `control: UDP from [${C6A}]:40000 is translated`, false, outputs(o.ex));
      return;
    }
    const ctl = await t.send(4, udp4(S4, 9, m.addr, m.port));
    t.expectPacket('6146-3.5.1-v4-no-bib-drop', `control: ${S4}:9 → ${fmt(m)} (the BIB entry) reaches [${C6A}]:40000`, only(ctl.out6), { ipv6: { src: v6(t, S4), dst: C6A }, udp: { sport: 9, dport: 40000 } });
    const targets: [string, number, string][] = [[m.addr, m.port === 65535 ? m.port - 1 : m.port + 1, 'the neighbouring port of the mapped address']];
    const otherAddr = pool.find((a) => a !== m.addr);
    if (otherAddr) targets.push([otherAddr, m.port, 'the mapped port on the other pool address']);
    for (const [addr, port, why] of targets) {
      const ex = await t.send(4, udp4(S4, 9, addr, port));
      t.expect('6146-3.5.1-v4-no-bib-drop', `${S4}:9 → ${addr}:${port} (${why}, no BIB entry) is dropped`, ex.out6.length === 0, outputs(ex), ex.out6);
      icmp.push(`${addr}:${port}: ${icmpErrors(ex.out4).join(', ') || 'none'}`);
    }
    t.behaviour('6146-3.5.1-v4-no-bib-icmp', 'ICMP error to the sender of UDP without a BIB entry', `ICMP errors back to ${S4}: ${icmp.join('; ')}`);
  },
};

/**
 * RFC 7857 §6: EIF is protocol dependent by default: a mapping admits
 * inbound traffic of its own protocol only. Default configuration, probes
 * from the contacted server S4, so that even address-dependent filtering
 * would not stop them for address reasons.
 */
const eifProtocol: CaseDef = {
  id: 'eif-protocol-dependent',
  suite: 'filtering',
  title: 'A UDP mapping admits no inbound TCP, a TCP mapping no inbound UDP (RFC 7857 §6, default)',
  requirements: ['7857-6-eif-proto-dep', '7857-6-eif-default', '7857-6-eif-knob'],
  async run(t) {
    const ids = ['7857-6-eif-proto-dep', '7857-6-eif-default'];
    const u = await outbound(t, 'udp', { client: C6A, sport: 45000, server: S4, dport: 9 });
    const tc = await outbound(t, 'tcp', { client: C6A, sport: 45002, server: S4, dport: 80 });
    if (u.map) {
      // Judged by the UDP owner's port: the same (T,t) may legitimately be in use in the TCP BIB by another flow (RFC 6146 §3.5.1.1).
      const syn = await t.send(4, tcp4(S4, 9, u.map.addr, u.map.port, { syn: true }));
      t.expect(ids, `TCP SYN from ${S4}:9 to the UDP mapping ${fmt(u.map)} does not reach its owner [${C6A}]:45000`, !syn.out6.some((s) => s.packet.ipv6?.dst === C6A && s.packet.tcp?.dport === 45000), outputs(syn), syn.out6);
      const ctl = await t.send(4, udp4(S4, 9, u.map.addr, u.map.port));
      t.expect(ids, `control: UDP from ${S4}:9 to ${fmt(u.map)} reaches [${C6A}]:45000`, !!deliveredTo(ctl, C6A, 45000, 'udp'), outputs(ctl), ctl.out6);
    } else t.expect(ids, `UDP from [${C6A}]:45000 is translated`, false, outputs(u.ex));
    if (tc.map) {
      const dg = await t.send(4, udp4(S4, 80, tc.map.addr, tc.map.port));
      t.expect(ids, `UDP from ${S4}:80 to the TCP mapping ${fmt(tc.map)} does not reach its owner [${C6A}]:45002`, !dg.out6.some((s) => s.packet.ipv6?.dst === C6A && s.packet.udp?.dport === 45002), outputs(dg), dg.out6);
      const ctl = await t.send(4, tcp4(S4, 80, tc.map.addr, tc.map.port, { syn: true, ack: true }, 5000, 1001));
      t.expect(ids, `control: SYN+ACK from ${S4}:80 to ${fmt(tc.map)} reaches [${C6A}]:45002`, !!deliveredTo(ctl, C6A, 45002, 'tcp'), outputs(ctl), ctl.out6);
    } else t.expect(ids, `TCP SYN from [${C6A}]:45002 is translated`, false, outputs(tc.ex));
    t.naCheck('7857-6-eif-knob', 'a setting for protocol-independent EIF', 'the lab target interface has no protocol-independent filtering setting to switch on');
  },
};

/**
 * RFC 7857 §7: inbound packets that hit a mapping but are denied by policy
 * (here: address-dependent filtering, from a never-contacted S4b) SHOULD NOT
 * refresh it, "otherwise a simple attack of a packet every two minutes can
 * keep the mapping indefinitely". S4b knocks every 60 s on a UDP mapping and
 * on a TCP mapping whose connection the client reset (TRANS, lifetime
 * exactly TCP_TRANS); once their lifetimes have passed, the contacted server
 * S4 must find both gone.
 */
const noRefresh: CaseDef = {
  id: 'filtered-no-refresh',
  suite: 'filtering',
  title: 'Filtered inbound packets do not keep a UDP or TCP mapping alive (RFC 7857 §7)',
  requirements: ['7857-7-eif-no-refresh'],
  needs: { filtering: 'address-dependent', virtualClock: true },
  async run(t) {
    const { udp, tcpTransitory: trans } = t.config.timeouts;
    if (!(trans < udp)) t.na(`needs TCP_TRANS < UDP lifetime; the target has ${trans} s and ${udp} s`);
    const u = await outbound(t, 'udp', { client: C6A, sport: 46000, server: S4, dport: 9 });
    const tc = await outbound(t, 'tcp', { client: C6A, sport: 46002, server: S4, dport: 80 });
    if (tc.out) {
      await establish(t, tc.packet, tc.out);
      await reset6(t, tc.packet);
    }
    if (!u.map || !tc.map) {
      t.expect('7857-7-eif-no-refresh', 'the UDP and TCP flows are translated', false, `UDP ${fmt(u.map)}, TCP ${fmt(tc.map)}`);
      return;
    }
    const um = u.map;
    const tm = tc.map;
    let leaked = 0;
    let elapsed = 0;
    // Knock every 60 s while each mapping would still be alive on its own.
    for (let s = 60; s < udp; s += 60) {
      await t.advance((s - elapsed) * 1000);
      elapsed = s;
      leaked += (await t.send(4, udp4(S4B, 9, um.addr, um.port))).out6.length;
      if (s < trans) leaked += (await t.send(4, tcp4(S4B, 80, tm.addr, tm.port, { ack: true }, 9000, 1))).out6.length;
    }
    if (leaked) {
      // The premise (packets denied by policy) does not hold; the filter itself is judged by udp-adf.
      t.naCheck('7857-7-eif-no-refresh', 'filtered packets do not refresh the mapping', `${leaked} of the knocks from ${S4B} were delivered, not filtered, so no packet was denied by policy (see udp-adf)`);
      return;
    }
    await t.advance(Math.max(0, trans + 1 - elapsed) * 1000);
    elapsed = Math.max(elapsed, trans + 1);
    const tcpProbe = await t.send(4, tcp4(S4, 80, tm.addr, tm.port, { ack: true }, 5001, 1002));
    t.expect('7857-7-eif-no-refresh', `${elapsed} s on (TCP_TRANS ${trans} s), after knocks from ${S4B}: the reset TCP mapping ${fmt(tm)} has expired (ACK from ${S4} not delivered)`, tcpProbe.out6.length === 0, outputs(tcpProbe), tcpProbe.out6);
    await t.advance((udp + 1 - elapsed) * 1000);
    const udpProbe = await t.send(4, udp4(S4, 9, um.addr, um.port));
    t.expect('7857-7-eif-no-refresh', `${udp + 1} s on (UDP lifetime ${udp} s), after knocks from ${S4B}: the UDP mapping ${fmt(um)} has expired (UDP from ${S4} not delivered)`, udpProbe.out6.length === 0, outputs(udpProbe), udpProbe.out6);
  },
};

export const inboundCases: CaseDef[] = [noBibUdp, eifProtocol, noRefresh];
