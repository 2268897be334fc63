/**
 * RFC 6146 §3.5.2.2, states V6 INIT and V4 INIT: the half-open connection
 * and how it completes (three-way handshake, simultaneous open from either
 * state), its lifetime ("at least TCP_TRANS"; RFC 5382 REQ-5 4 min), its
 * expiry, and the other segments that are translated while the state stays.
 * The V4 INIT cases are the RFC 5382 REQ-4 rule that an outbound SYN in time
 * makes the held inbound SYN disappear without an ICMP error.
 */
import type { CaseContext, CaseDef } from '../../harness/runner/case';
import { expandPool4 } from '../../harness/lab/pool4';
import { LAB } from '../../harness/lab/addressing';
import {
  C6A,
  Conn,
  S4B,
  S4C,
  SUITE,
  conn,
  data,
  emitted,
  expect4,
  expect6,
  from4,
  from6,
  open,
  out4,
  out6,
  reached6,
  silent,
  timeline,
  whatCameOut,
} from './lib';
import { heldSyn } from './closed';
import { only } from '../lib/flows';

const EIF = { filtering: 'endpoint-independent' } as const;
const ADF = { filtering: 'address-dependent' } as const;

/** Record a failure for `ids` when the client's opening SYN was not translated. */
async function opened(t: CaseContext, ids: string[], c: Conn): Promise<boolean> {
  if (await open(t, c)) return true;
  t.expect(ids, `the SYN from [${c.client}]:${c.cport} to ${c.server}:${c.sport} is translated`, false, 'no single SYN came out on the IPv4 side');
  return false;
}

const synAck: CaseDef = {
  id: 'v6init-synack-establishes',
  suite: SUITE,
  title: 'V6 INIT + V4 SYN+ACK: translated to the client, and the handshake completes',
  requirements: ['6146-3.5.2.2-v6init-v4syn'],
  async run(t) {
    const c = conn(t, { cport: 43000 });
    if (!(await opened(t, this.requirements, c))) return;
    const sa = await from4(t, c, { syn: true, ack: true });
    t.expectPacket('6146-3.5.2.2-v6init-v4syn', 'the SYN+ACK reaches the client', out6(sa), expect6(c, sa.packet));
    const ack = await from6(t, c, { ack: true });
    t.expectPacket('6146-3.5.2.2-v6init-v4syn', 'the client\'s ACK reaches the server (ESTABLISHED)', out4(ack), expect4(t, c, ack.packet));
  },
};

const synAckLifetime: CaseDef = {
  id: 'v6init-synack-lifetime-tcp-est',
  suite: SUITE,
  title: 'V6 INIT + V4 SYN+ACK sets the lifetime to at least TCP_EST: data after 7190 s of silence still passes',
  requirements: ['6146-3.5.2.2-v6init-v4syn'],
  async run(t) {
    const c = conn(t, { cport: 43010 });
    if (!(await opened(t, this.requirements, c))) return;
    const sa = await from4(t, c, { syn: true, ack: true });
    if (!reached6(sa, c)) {
      t.expect(this.requirements, 'the SYN+ACK reaches the client', false, whatCameOut(sa.ex));
      return;
    }
    // Nothing else: the SYN+ACK alone must have moved the session to ESTABLISHED (V6 INIT would end at TCP_TRANS).
    await timeline(t).at(7190);
    const d = await from4(t, c, { ack: true, psh: true }, data('after 7190 s'));
    t.expectPacket('6146-3.5.2.2-v6init-v4syn', 'server data 7190 s after the SYN+ACK (beyond TCP_TRANS, within TCP_EST) reaches the client', out6(d), expect6(c, d.packet));
  },
};

const simultaneousOpen: CaseDef = {
  id: 'v6init-bare-syn-simultaneous-open',
  suite: SUITE,
  title: 'V6 INIT + V4 SYN without ACK (simultaneous open): every SYN and SYN+ACK crosses and the connection carries data',
  requirements: ['6146-3.5.2.2-v6init-v4syn', '5382-4.2-req2a-simopen'],
  async run(t) {
    const c = conn(t, { cport: 43020, sport: 5060 });
    if (!(await opened(t, this.requirements, c))) return;
    // RFC 5382 REQ-2a: "A NAT must be prepared to accept an inbound SYN ... for an internally initiated connection".
    const syn4 = await from4(t, c, { syn: true });
    t.expectPacket(['6146-3.5.2.2-v6init-v4syn', '5382-4.2-req2a-simopen'], 'the server\'s bare SYN crossing the client\'s reaches the client', out6(syn4), expect6(c, syn4.packet));
    const sa6 = await from6(t, c, { syn: true, ack: true });
    t.expectPacket('5382-4.2-req2a-simopen', 'the client\'s SYN+ACK reaches the server', out4(sa6), expect4(t, c, sa6.packet));
    const sa4 = await from4(t, c, { syn: true, ack: true });
    t.expectPacket('5382-4.2-req2a-simopen', 'the server\'s SYN+ACK reaches the client', out6(sa4), expect6(c, sa4.packet));
    const d = await from6(t, c, { ack: true, psh: true }, data('after simultaneous open'));
    t.expectPacket('5382-4.2-req2a-simopen', 'data from the client reaches the server over the opened connection', out4(d), expect4(t, c, d.packet));
  },
};

const retransmit: CaseDef = {
  id: 'v6init-syn-retransmission-refreshes',
  suite: SUITE,
  title: 'V6 INIT + V6 SYN (retransmission): translated again, the lifetime restarts, so a late SYN+ACK still passes',
  requirements: ['6146-3.5.2.2-v6init-v6syn'],
  async run(t) {
    const L = t.config.timeouts.tcpInit;
    const c = conn(t, { cport: 43030 });
    if (!(await opened(t, this.requirements, c))) return;
    const clock = timeline(t);
    await clock.at(0.75 * L);
    const again = await from6(t, c, { syn: true });
    t.expectPacket('6146-3.5.2.2-v6init-v6syn', `the retransmitted SYN at ${0.75 * L} s is translated with the same mapping`, out4(again), expect4(t, c, again.packet));
    // Without the restart the session ended at L; with it, at 1.75 L.
    await clock.at(1.5 * L);
    const sa = await from4(t, c, { syn: true, ack: true });
    t.expectPacket('6146-3.5.2.2-v6init-v6syn', `a SYN+ACK at ${1.5 * L} s (beyond ${L} s from the first SYN) reaches the client`, out6(sa), expect6(c, sa.packet));
  },
};

const lifetime: CaseDef = {
  id: 'v6init-lifetime-at-least-4-min',
  suite: SUITE,
  title: 'A half-open V6 INIT session lives at least 4 min (TCP_TRANS): a SYN+ACK after 230 s of silence passes',
  requirements: ['6146-3.5.2.2-v6init-lifetime', '5382-5-req5-trans', '7857-2.1-default-4min'],
  async run(t) {
    const { tcpInit, tcpTransitory } = t.config.timeouts;
    t.expect('7857-2.1-default-4min', 'the default transitory timeouts are 240 s or more', tcpInit >= 240 && tcpTransitory >= 240, `partially open ${tcpInit} s, closing ${tcpTransitory} s`);
    const c = conn(t, { cport: 43040 });
    if (!(await opened(t, this.requirements, c))) return;
    await timeline(t).at(230);
    const sa = await from4(t, c, { syn: true, ack: true });
    t.expectPacket(
      ['6146-3.5.2.2-v6init-lifetime', '5382-5-req5-trans', '7857-2.1-default-4min'],
      'a SYN+ACK 230 s after the SYN reaches the client',
      out6(sa),
      expect6(c, sa.packet),
    );
  },
};

const expiry: CaseDef = {
  id: 'v6init-expires',
  suite: SUITE,
  title: 'A V6 INIT session that sees no V4 SYN is removed after its lifetime: a later SYN+ACK is not delivered',
  requirements: ['6146-3.5.2.2-v6init-expire'],
  async run(t) {
    const L = Math.max(t.config.timeouts.tcpInit, t.config.timeouts.tcpTransitory);
    const c = conn(t, { cport: 43050 });
    if (!(await opened(t, this.requirements, c))) return;
    await timeline(t).at(L + 1);
    const sa = await from4(t, c, { syn: true, ack: true });
    t.expect('6146-3.5.2.2-v6init-expire', `a SYN+ACK ${L + 1} s after the SYN (lifetime ${L} s) does not reach the client`, sa.ex.out6.length === 0, whatCameOut(sa.ex), emitted(sa.ex));
  },
};

const inboundRst: CaseDef = {
  id: 'v6init-inbound-rst-translated',
  suite: SUITE,
  title: 'V6 INIT + V4 RST: translated to the client; the state stays V6 INIT (an ACK after the half-open lifetime is dropped)',
  requirements: ['6146-3.5.2.2-v6init-other', '7857-2.2-rst-translate'],
  async run(t) {
    const L = Math.max(t.config.timeouts.tcpInit, t.config.timeouts.tcpTransitory);
    const c = conn(t, { cport: 43060 });
    if (!(await opened(t, this.requirements, c))) return;
    const rst = await from4(t, c, { rst: true, ack: true });
    t.expectPacket(['6146-3.5.2.2-v6init-other', '7857-2.2-rst-translate'], 'the server\'s RST+ACK reaches the client', out6(rst), expect6(c, rst.packet));
    const clock = timeline(t);
    await clock.at(1);
    const ack = await from4(t, c, { ack: true });
    t.expectPacket('6146-3.5.2.2-v6init-other', 'a later ACK of the connection is translated too (state unchanged)', out6(ack), expect6(c, ack.packet));
    // Still V6 INIT (not ESTABLISHED, not TRANS revived by the ACK): gone at the end of the half-open lifetime.
    await clock.at(L + 1);
    const late = await from4(t, c, { ack: true });
    t.expect('6146-3.5.2.2-v6init-other', `the session kept the V6 INIT lifetime: an ACK at ${L + 1} s is not delivered`, late.ex.out6.length === 0, whatCameOut(late.ex), emitted(late.ex));
  },
};

/**
 * V4 INIT + V6 SYN: two unsolicited SYNs held (from S4B and S4C), then the
 * client's SYNs to both in time. The first connection completes at once
 * (simultaneous open through the held state); the second waits longer than
 * any transitory timeout for its SYN+ACK, which passes only if the client's
 * SYN moved the session to ESTABLISHED (RFC 6146 §3.5.2.2 V4 INIT: "at least
 * the maximum session lifetime") rather than opening a fresh V6 INIT.
 */
async function outboundSynInTime(t: CaseContext, ids: { v6syn: string; drop: string; simopen: string }, x: number, m: { addr: string; port: number }): Promise<void> {
  const b1 = conn(t, { cport: x, server: S4B, sport: 6001, map: m });
  const b2 = conn(t, { cport: x, server: S4C, sport: 6002, map: m });
  const clock = timeline(t);
  const h1 = await t.send(4, heldSyn(S4B, b1.sport, m.addr, m.port, b1.siss));
  const h2 = await t.send(4, heldSyn(S4C, b2.sport, m.addr, m.port, b2.siss));
  b1.snext = b1.siss + 1;
  b2.snext = b2.siss + 1;
  t.note(`unsolicited SYNs to ${m.addr}:${m.port}: ${whatCameOut(h1)}; ${whatCameOut(h2)}`);
  await clock.at(2);
  const s1 = await from6(t, b1, { syn: true });
  const s2 = await from6(t, b2, { syn: true });
  t.expectPacket(ids.v6syn, `2 s later the client's SYN to ${S4B} is translated from ${m.addr}:${m.port}`, out4(s1), expect4(t, b1, s1.packet));
  t.expectPacket(ids.v6syn, `and its SYN to ${S4C} too`, out4(s2), expect4(t, b2, s2.packet));
  const quiet = await clock.at(10);
  const all = [...emitted(h1), ...emitted(h2), ...s1.ex.out6, ...s2.ex.out6, ...emitted(quiet)];
  t.expect(
    ids.drop,
    'the held SYNs are dropped silently: never delivered, no ICMP error, no RST (watched until 10 s)',
    silent(h1) && silent(h2) && s1.ex.out6.length === 0 && s2.ex.out6.length === 0 && silent(quiet),
    `held SYNs: ${whatCameOut(h1)} / ${whatCameOut(h2)}; with the client's SYNs on the IPv6 side: ${s1.ex.out6.length + s2.ex.out6.length} packet(s); until 10 s: ${whatCameOut(quiet)}`,
    all,
  );
  const sa1 = await from4(t, b1, { syn: true, ack: true });
  t.expectPacket(ids.simopen, `${S4B}'s SYN+ACK reaches the client`, out6(sa1), expect6(b1, sa1.packet));
  const a1 = await from6(t, b1, { ack: true });
  t.expectPacket(ids.simopen, `the client's ACK reaches ${S4B}: the simultaneous open completed`, out4(a1), expect4(t, b1, a1.packet));
  const wait = 10 + Math.max(t.config.timeouts.tcpInit, t.config.timeouts.tcpTransitory) + 20;
  await clock.at(wait);
  const sa2 = await from4(t, b2, { syn: true, ack: true });
  t.expectPacket(ids.v6syn, `${S4C}'s SYN+ACK at ${wait} s (beyond every transitory timeout) reaches the client: the session became ESTABLISHED`, out6(sa2), expect6(b2, sa2.packet));
}

const heldAdf: CaseDef = {
  id: 'v4init-adf-outbound-syn-in-time',
  suite: SUITE,
  title: 'ADF, V4 INIT (held SYN) + V6 SYN within 6 s: the client\'s SYN is translated, ESTABLISHED, the held SYN dropped without ICMP',
  requirements: ['6146-3.5.2.2-v4init-v6syn', '5382-4.3-req4-drop-on-outbound-syn', '5382-4.2-req2a-simopen'],
  needs: ADF,
  async run(t) {
    const a = conn(t, { cport: 43100 });
    if (!(await opened(t, this.requirements, a))) return;
    await outboundSynInTime(t, { v6syn: '6146-3.5.2.2-v4init-v6syn', drop: '5382-4.3-req4-drop-on-outbound-syn', simopen: '5382-4.2-req2a-simopen' }, a.cport, a.map!);
  },
};

/** A pool of one TCP port: the mapping (T,t) the client's SYN will get is known before the SYN is sent. */
const ONE_PORT = 61000;

const heldNoBib: CaseDef = {
  id: 'v4init-unmapped-outbound-syn-in-time',
  suite: SUITE,
  title: 'V4 INIT without a BIB entry + V6 SYN within 6 s (one-port pool, so (T,t) is known): translated, ESTABLISHED, held SYN dropped without ICMP',
  requirements: ['6146-3.5.2.2-v4init-v6syn', '5382-4.3-req4-drop-on-outbound-syn', '5382-4.2-req2a-simopen'],
  // ADF so that, later, a SYN+ACK without a session is not simply forwarded as a new inbound open.
  needs: { ...ADF, pool4: [{ address: LAB.pool4[0], ports: { tcp: { min: ONE_PORT, max: ONE_PORT } } }] },
  async run(t) {
    const addr = expandPool4(t.config.pool4)[0];
    const range = t.config.pool4[0].ports?.tcp;
    if (!range || range.min !== range.max) return t.na(`the target's pool did not come up with a single TCP port (${JSON.stringify(t.config.pool4)})`);
    t.note(`pool4: ${addr}, TCP port ${range.min} only: the client's first mapping must be ${addr}:${range.min}`);
    await outboundSynInTime(t, { v6syn: '6146-3.5.2.2-v4init-v6syn', drop: '5382-4.3-req4-drop-on-outbound-syn', simopen: '5382-4.2-req2a-simopen' }, 43110, { addr, port: range.min });
  },
};

const outboundRst: CaseDef = {
  id: 'v4init-outbound-rst-translated',
  suite: SUITE,
  title: 'EIF, V4 INIT (SYN forwarded) + V6 RST: the client\'s refusal is translated to the remote opener',
  requirements: ['6146-3.5.2.2-v4init-other', '7857-2.2-rst-translate'],
  needs: EIF,
  async run(t) {
    const a = conn(t, { cport: 43200 });
    if (!(await opened(t, this.requirements, a))) return;
    const b = conn(t, { cport: 43200, server: S4B, sport: 7000, map: a.map });
    const syn = await from4(t, b, { syn: true });
    if (!reached6(syn, b)) {
      t.expect(this.requirements, `the SYN from ${S4B} reaches [${C6A}]:${a.cport} (EIF)`, false, whatCameOut(syn.ex));
      return;
    }
    const rst = await from6(t, b, { rst: true, ack: true });
    t.expectPacket(['6146-3.5.2.2-v4init-other', '7857-2.2-rst-translate'], `the client's RST+ACK reaches ${S4B} from ${a.map!.addr}:${a.map!.port}`, out4(rst), expect4(t, b, rst.packet));
  },
};

const inboundSynAgain: CaseDef = {
  id: 'v4init-inbound-syn-retransmitted',
  suite: SUITE,
  title: 'EIF, V4 INIT (SYN forwarded) + the remote\'s retransmitted SYN: translated again, state unchanged',
  requirements: ['6146-3.5.2.2-v4init-other'],
  needs: EIF,
  async run(t) {
    const a = conn(t, { cport: 43210 });
    if (!(await opened(t, this.requirements, a))) return;
    const b = conn(t, { cport: 43210, server: S4B, sport: 7010, map: a.map });
    const syn = await from4(t, b, { syn: true });
    t.expectPacket('6146-3.5.2.2-v4init-other', `the SYN from ${S4B} reaches the client`, out6(syn), expect6(b, syn.packet));
    await timeline(t).at(3);
    // §3.5.2.2 V4 INIT: "For any other packet, the packet SHOULD be translated and forwarded".
    const again = await t.send(4, syn.packet);
    t.expectPacket('6146-3.5.2.2-v4init-other', `3 s later the retransmitted SYN from ${S4B} reaches the client too`, only(again.out6), expect6(b, syn.packet));
  },
};

const inboundOpenEstablished: CaseDef = {
  id: 'v4init-outbound-synack-lifetime-tcp-est',
  suite: SUITE,
  title: 'EIF, V4 INIT + V6 SYN+ACK: ESTABLISHED for at least TCP_EST, so the remote\'s data after 7190 s of silence passes',
  requirements: ['6146-3.5.2.2-v4init-v6syn'],
  needs: EIF,
  async run(t) {
    const a = conn(t, { cport: 43220 });
    if (!(await opened(t, this.requirements, a))) return;
    const b = conn(t, { cport: 43220, server: S4B, sport: 7020, map: a.map });
    const syn = await from4(t, b, { syn: true });
    if (!reached6(syn, b)) {
      t.expect(this.requirements, `the SYN from ${S4B} reaches the client (EIF)`, false, whatCameOut(syn.ex));
      return;
    }
    const sa = await from6(t, b, { syn: true, ack: true });
    t.expectPacket('6146-3.5.2.2-v4init-v6syn', `the client's SYN+ACK reaches ${S4B}`, out4(sa), expect4(t, b, sa.packet));
    // The first connection (V6 INIT) and with it every other reason for the mapping to live end after TCP_TRANS.
    await timeline(t).at(7190);
    const d = await from4(t, b, { ack: true, psh: true }, data('inbound-opened after 7190 s'));
    t.expectPacket('6146-3.5.2.2-v4init-v6syn', `data from ${S4B} after 7190 s of silence reaches the client`, out6(d), expect6(b, d.packet));
  },
};

export const initCases: CaseDef[] = [synAck, synAckLifetime, simultaneousOpen, retransmit, lifetime, expiry, inboundRst, heldAdf, heldNoBib, outboundRst, inboundSynAgain, inboundOpenEstablished];
