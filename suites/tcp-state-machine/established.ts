/**
 * RFC 6146 §3.5.2.2 from ESTABLISHED on: the FIN states (V4 FIN RCV, V6 FIN
 * RCV, V6 FIN + V4 FIN RCV), RST and the TRANS state (RFC 7857 §2.2), the
 * refresh by traffic, and the TCP_EST expiry with its probe (RFC 6146 §4,
 * RFC 5382 REQ-5: 2 h, then TCP_TRANS, 2 h 4 min in all).
 *
 * Lifetimes are observed by whether a later segment of the connection is
 * still translated. Minimums are checked at fixed times just below them
 * (230 s for 4 min, 7190-7199 s for 2 h, 7380 s for 2 h 4 min), expiries
 * just after the target's configured values. The long ones need the
 * target's virtual clock or the --soak tier.
 */
import type { Expectation } from '../../harness/packet/compare';
import { T } from '../../harness/packet/compare';
import type { Packet, Side, TCPFlags } from '../../harness/packet/types';
import type { CaseContext, CaseDef, Exchange, Seen } from '../../harness/runner/case';
import { Conn, SUITE, conn, data, emitted, establishAll, expect4, expect6, from4, from6, timeline, whatCameOut } from './lib';
import type { Sent } from './lib';
import { only } from '../lib/flows';

/** Send from one end of a connection. */
function fromSide(t: CaseContext, side: Side, c: Conn, flags: TCPFlags, payload?: Buffer): Promise<Sent> {
  return side === 6 ? from6(t, c, flags, payload) : from4(t, c, flags, payload);
}

/** What a segment sent from `side` must look like at the other end, and the packet that came out there. */
function arrival(t: CaseContext, side: Side, c: Conn, s: Sent): { seen: Seen | undefined; expected: Expectation } {
  return side === 6 ? { seen: only(s.ex.out4), expected: expect4(t, c, s.packet) } : { seen: only(s.ex.out6), expected: expect6(c, s.packet) };
}

/** Whether a segment sent from `side` came out at the other end (and nothing else). */
function passed(side: Side, c: Conn, s: Sent): boolean {
  const p = only(side === 6 ? s.ex.out4 : s.ex.out6)?.packet;
  if (!p?.tcp) return false;
  return side === 6 ? p.ipv4?.dst === c.server && p.tcp.dport === c.sport : p.ipv6?.dst === c.client && p.tcp.dport === c.cport;
}

/** Send the same bytes again (a retransmission). */
async function resend(t: CaseContext, side: Side, packet: Packet): Promise<Sent> {
  return { packet, ex: await t.send(side, packet) };
}

const other = (s: Side): Side => (s === 6 ? 4 : 6);
const name = (s: Side): string => (s === 6 ? 'IPv6' : 'IPv4');

function finSequence(first: Side): CaseDef {
  const second = other(first);
  const estFin = first === 4 ? '6146-3.5.2.2-est-v4fin' : '6146-3.5.2.2-est-v6fin';
  const rcvFin = first === 4 ? '6146-3.5.2.2-v4finrcv-v6fin' : '6146-3.5.2.2-v6finrcv-v4fin';
  return {
    id: `fin-v${first}-then-v${second}`,
    suite: SUITE,
    title: `ESTABLISHED + V${first} FIN, then V${second} FIN: both translated, the last ACKs pass, and the session ends TCP_TRANS after the second FIN`,
    requirements: [estFin, rcvFin, '6146-3.5.2.2-bothfin-fwd', '6146-3.5.2.2-bothfin-expire', '5382-5-req5-trans'],
    async run(t) {
      const trans = t.config.timeouts.tcpTransitory;
      const a = conn(t, { cport: first === 4 ? 44000 : 44010 });
      const b = conn(t, { cport: first === 4 ? 44001 : 44011 });
      if (!(await establishAll(t, this.requirements, [a, b]))) return;
      const secondFin = new Map<Conn, Packet>();
      for (const c of [a, b]) {
        const tag = `[${c.client}]:${c.cport}`;
        const f1 = await fromSide(t, first, c, { fin: true, ack: true });
        const r1 = arrival(t, first, c, f1);
        t.expectPacket(estFin, `${tag}: the FIN from the ${name(first)} side is translated`, r1.seen, r1.expected);
        const f2 = await fromSide(t, second, c, { fin: true, ack: true });
        const r2 = arrival(t, second, c, f2);
        t.expectPacket(rcvFin, `${tag}: the answering FIN from the ${name(second)} side is translated`, r2.seen, r2.expected);
        secondFin.set(c, f2.packet);
        const last = await fromSide(t, first, c, { ack: true });
        const r3 = arrival(t, first, c, last);
        t.expectPacket('6146-3.5.2.2-bothfin-fwd', `${tag}: the last ACK after both FINs is translated`, r3.seen, r3.expected);
      }
      const clock = timeline(t);
      // RFC 5382 REQ-5: a closing connection is not removed before 4 min of idleness; §3.5.2.2 forwards everything meanwhile.
      await clock.at(230);
      const ra = await resend(t, second, secondFin.get(a)!);
      const rr = arrival(t, second, a, ra);
      t.expectPacket(['6146-3.5.2.2-bothfin-fwd', '5382-5-req5-trans'], `230 s after both FINs, a retransmitted ${name(second)} FIN is still translated`, rr.seen, rr.expected);
      // §3.5.2.2: the second FIN set the lifetime to TCP_TRANS, which the FIN states never extend.
      await clock.at(trans + 1);
      const rb = await resend(t, second, secondFin.get(b)!);
      const gone = !passed(second, b, rb);
      const detail = whatCameOut(rb.ex);
      t.expect('6146-3.5.2.2-bothfin-expire', `${trans + 1} s after both FINs (TCP_TRANS ${trans} s) the session is gone: a retransmitted FIN is not translated`, gone, detail, emitted(rb.ex));
      t.expect(rcvFin, `the second FIN set the lifetime to TCP_TRANS (${trans} s): nothing passes at ${trans + 1} s`, gone, detail, emitted(rb.ex));
      t.expect(estFin, `the first FIN was tracked (the session left ESTABLISHED): it ends TCP_TRANS after the second FIN, not TCP_EST`, gone, detail, emitted(rb.ex));
    },
  };
}

function halfClose(first: Side): CaseDef {
  const open = other(first);
  const id = first === 4 ? '6146-3.5.2.2-v4finrcv-other' : '6146-3.5.2.2-v6finrcv-other';
  return {
    id: `half-close-v${first}-fin`,
    suite: SUITE,
    title: `V${first} FIN RCV: the half-closed connection keeps the TCP_EST lifetime; the ${name(open)} side sends data after 10 min and after 2 h`,
    requirements: [id],
    async run(t) {
      const c = conn(t, { cport: first === 4 ? 44100 : 44110 });
      if (!(await establishAll(t, this.requirements, [c]))) return;
      const fin = await fromSide(t, first, c, { fin: true, ack: true });
      const r = arrival(t, first, c, fin);
      t.expectPacket(id, `the FIN from the ${name(first)} side is translated`, r.seen, r.expected);
      const clock = timeline(t);
      // Not TCP_TRANS: a half-close may last (RFC 5382 §5 counts FIN_WAIT_2 / CLOSE_WAIT as established phase).
      await clock.at(600);
      const d1 = await fromSide(t, open, c, { ack: true, psh: true }, data('half-closed after 600 s'));
      const r1 = arrival(t, open, c, d1);
      t.expectPacket(id, `600 s later, data from the ${name(open)} side is translated`, r1.seen, r1.expected);
      // "Any packet other than the FIN": the lifetime is back to at least TCP_EST.
      await clock.at(600 + 7190);
      const d2 = await fromSide(t, open, c, { ack: true, psh: true }, data('half-closed after 2 h'));
      const r2 = arrival(t, open, c, d2);
      t.expectPacket(id, `another 7190 s later, data from the ${name(open)} side is still translated`, r2.seen, r2.expected);
    },
  };
}

function rstTransitory(from: Side): CaseDef {
  const peer = other(from);
  const ids = ['6146-3.5.2.2-est-rst', '7857-2.2-rst-translate', '7857-2.2-rst-4min', '6146-3.5.2.2-trans-expire', '6146-3.5.2.2-trans-revive'];
  return {
    id: `rst-from-ipv${from}-transitory`,
    suite: SUITE,
    title: `ESTABLISHED + V${from} RST: translated; TRANS keeps the session TCP_TRANS (4 min), traffic revives it, silence ends it`,
    requirements: ids,
    async run(t) {
      const trans = t.config.timeouts.tcpTransitory;
      const a = conn(t, { cport: from === 6 ? 44200 : 44210 });
      const b = conn(t, { cport: from === 6 ? 44201 : 44211 });
      if (!(await establishAll(t, ids, [a, b]))) return;
      for (const c of [a, b]) {
        const rst = await fromSide(t, from, c, { rst: true, ack: true });
        const r = arrival(t, from, c, rst);
        t.expectPacket(['6146-3.5.2.2-est-rst', '7857-2.2-rst-translate'], `[${c.client}]:${c.cport}: the RST from the ${name(from)} side is translated`, r.seen, r.expected);
      }
      const clock = timeline(t);
      // The peer did not take the RST and keeps sending (RFC 6146 §3.5.2.2 on why RST leads to TRANS, not CLOSED).
      await clock.at(230);
      const da = await fromSide(t, peer, a, { ack: true, psh: true }, data('after rst 230 s'));
      const ra = arrival(t, peer, a, da);
      t.expectPacket(['6146-3.5.2.2-est-rst', '7857-2.2-rst-4min'], `230 s after the RST the session still exists: data from the ${name(peer)} side is translated`, ra.seen, ra.expected);
      await clock.at(trans + 1);
      const db = await fromSide(t, peer, b, { ack: true, psh: true }, data('after rst expiry'));
      const gone = !passed(peer, b, db);
      t.expect(
        ['6146-3.5.2.2-trans-expire', '7857-2.2-rst-4min', '6146-3.5.2.2-est-rst'],
        `${trans + 1} s after the RST with no other segment (TCP_TRANS ${trans} s) the session is gone: data is not translated`,
        gone,
        whatCameOut(db.ex),
        emitted(db.ex),
      );
      // The data at 230 s moved the first connection back to ESTABLISHED with at least TCP_EST.
      await clock.at(230 + 600);
      const dr = await fromSide(t, peer, a, { ack: true, psh: true }, data('revived after 600 s'));
      const rr = arrival(t, peer, a, dr);
      t.expectPacket('6146-3.5.2.2-trans-revive', 'after that data, 600 s of silence (beyond TCP_TRANS) and the connection still passes data', rr.seen, rr.expected);
    },
  };
}

/** The empty ACK probe of §3.5.2.2 for a connection, on whichever side the target sent it. */
function probeOf(ex: Exchange, c: Conn): { seen: Seen | undefined; expected: Expectation } {
  const flags = { ack: true, syn: false, fin: false, rst: false, psh: false, urg: false, ece: false, cwr: false, ns: false };
  const to6 = ex.out6.find((s) => s.packet.tcp && s.packet.ipv6?.dst === c.client && s.packet.tcp.dport === c.cport);
  if (to6 || !c.map) {
    return {
      seen: to6,
      expected: { ipv6: { src: c.server6, dst: c.client }, tcp: { sport: c.sport, dport: c.cport, seq: 0, ack: 0, flags, checksum: T.validChecksum() }, payload: T.absent() },
    };
  }
  const to4 = ex.out4.find((s) => s.packet.tcp && s.packet.ipv4?.dst === c.server && s.packet.tcp.dport === c.sport);
  return {
    seen: to4,
    expected: { ipv4: { src: c.map.addr, dst: c.server }, tcp: { sport: c.map.port, dport: c.sport, seq: 0, ack: 0, flags, checksum: T.validChecksum() }, payload: T.absent() },
  };
}

const idleTwoHours: CaseDef = {
  id: 'established-idle-2h-probe',
  suite: SUITE,
  title: 'An idle ESTABLISHED session lives TCP_EST (2 h), is probed with an empty ACK (seq 0, ack 0), then lives TCP_TRANS more (2 h 4 min in all)',
  requirements: ['6146-3.5.2.2-est-lifetime-min', '6146-3.5.2.2-est-lifetime-default', '6146-3.5.2.2-est-expire-probe', '5382-5-req5-est', '5382-5-abandon-rst'],
  async run(t) {
    const trans = t.config.timeouts.tcpTransitory;
    const [a, b, c, d] = [44300, 44301, 44302, 44303].map((cport) => conn(t, { cport }));
    if (!(await establishAll(t, this.requirements, [a, b, c, d]))) return;
    const clock = timeline(t);
    const quiet = await clock.at(7199);
    t.note(`until 7199 s the target sent: ${whatCameOut(quiet)}`);
    const da = await from4(t, a, { ack: true, psh: true }, data('after 7199 s'));
    t.expectPacket('6146-3.5.2.2-est-lifetime-min', 'server data after 7199 s of silence (just under TCP_EST) reaches the client', only(da.ex.out6), expect6(a, da.packet));
    // §3.5.2.2 ESTABLISHED: "If the lifetime expires, then the NAT64 SHOULD send a probe packet".
    const expiry = await clock.at(7201);
    const p = probeOf(expiry, b);
    t.expectPacket('6146-3.5.2.2-est-expire-probe', 'at TCP_EST the idle connection gets the probe: no data, seq 0, ack 0, only ACK set', p.seen, p.expected);
    // The client answers the probe as RFC 793 says (an ACK with its real numbers); the session goes on.
    const answer = await from6(t, b, { ack: true });
    t.expectPacket('6146-3.5.2.2-est-expire-probe', 'the client\'s answer to the probe is translated to the server', only(answer.ex.out4), expect4(t, b, answer.packet));
    // RFC 5382 REQ-5: not removed before 2 h 4 min of idleness; §3.5.2.2: TRANS for TCP_TRANS after the probe.
    await clock.at(7380);
    const dc = await from4(t, c, { ack: true, psh: true }, data('after 7380 s'));
    t.expectPacket(['5382-5-req5-est', '6146-3.5.2.2-est-lifetime-min'], 'server data after 7380 s (2 h 3 min) of silence reaches the client', only(dc.ex.out6), expect6(c, dc.packet));
    // SHOULD: the default is exactly TCP_EST, so TCP_EST + TCP_TRANS later the idle session is gone.
    const end = 7200 + trans + 1;
    const abandon = await clock.at(end);
    const dd = await from4(t, d, { ack: true, psh: true }, data('after expiry'));
    t.expect(
      '6146-3.5.2.2-est-lifetime-default',
      `after ${end} s of silence (TCP_EST 7200 s + TCP_TRANS ${trans} s) the session is gone: server data is not delivered`,
      dd.ex.out6.length === 0,
      whatCameOut(dd.ex),
      emitted(dd.ex),
    );
    const rsts = [...expiry.out4, ...expiry.out6, ...abandon.out4, ...abandon.out6].filter((s) => s.packet.tcp?.flags?.rst);
    t.behaviour(
      '5382-5-abandon-rst',
      'what the target tells the ends when it gives up an idle connection',
      rsts.length ? `${rsts.length} RST segment(s) sent: ${rsts.map((s) => `side ${s.side}`).join(', ')}` : `no RST: the state is dropped silently after the §3.5.2.2 probe (${emitted(expiry).length} packet(s) at TCP_EST, ${emitted(abandon).length} later)`,
      [...emitted(expiry), ...emitted(abandon)],
    );
  },
};

const rstInTrans: CaseDef = {
  id: 'trans-rst-does-not-extend',
  suite: SUITE,
  title: 'TRANS + another RST: translated, but only a non-RST segment extends the session, so it still ends TCP_TRANS after the first RST',
  requirements: ['6146-3.5.2.2-trans-expire'],
  async run(t) {
    const trans = t.config.timeouts.tcpTransitory;
    const c = conn(t, { cport: 44220 });
    if (!(await establishAll(t, this.requirements, [c]))) return;
    const first = await from6(t, c, { rst: true, ack: true });
    t.note(`first RST: ${whatCameOut(first.ex)}`);
    const clock = timeline(t);
    await clock.at(trans / 2);
    const second = await from4(t, c, { rst: true });
    t.note(`a RST from the server at ${trans / 2} s: ${whatCameOut(second.ex)}`);
    await clock.at(trans + 1);
    const d = await from4(t, c, { ack: true, psh: true }, data('after two rsts'));
    t.expect(
      '6146-3.5.2.2-trans-expire',
      `${trans + 1} s after the first RST (TCP_TRANS ${trans} s), with only a RST in between, the session is gone`,
      d.ex.out6.length === 0,
      whatCameOut(d.ex),
      emitted(d.ex),
    );
  },
};

const refresh: CaseDef = {
  id: 'established-refresh-by-traffic',
  suite: SUITE,
  title: 'ESTABLISHED: a segment from either side restarts the TCP_EST lifetime',
  requirements: ['6146-3.5.2.2-est-refresh'],
  async run(t) {
    const a = conn(t, { cport: 44400 });
    const b = conn(t, { cport: 44401 });
    if (!(await establishAll(t, this.requirements, [a, b]))) return;
    const clock = timeline(t);
    await clock.at(3600);
    const oa = await from6(t, a, { ack: true, psh: true }, data('keepalive out'));
    t.expectPacket('6146-3.5.2.2-est-refresh', 'client data at 3600 s is translated', only(oa.ex.out4), expect4(t, a, oa.packet));
    const ib = await from4(t, b, { ack: true, psh: true }, data('keepalive in'));
    t.expectPacket('6146-3.5.2.2-est-refresh', 'server data at 3600 s is translated', only(ib.ex.out6), expect6(b, ib.packet));
    // Without a restart both sessions would expire at 7200 s and be gone by 7200 + TCP_TRANS.
    await clock.at(3600 + 7190);
    const la = await from4(t, a, { ack: true, psh: true }, data('after outbound refresh'));
    t.expectPacket('6146-3.5.2.2-est-refresh', '7190 s after the client\'s segment, server data still reaches the client', only(la.ex.out6), expect6(a, la.packet));
    const lb = await from6(t, b, { ack: true, psh: true }, data('after inbound refresh'));
    t.expectPacket('6146-3.5.2.2-est-refresh', '7190 s after the server\'s segment, client data still reaches the server', only(lb.ex.out4), expect4(t, b, lb.packet));
  },
};

export const establishedCases: CaseDef[] = [finSequence(4), finSequence(6), halfClose(4), halfClose(6), rstTransitory(6), rstTransitory(4), rstInTrans, refresh, idleTwoHours];
