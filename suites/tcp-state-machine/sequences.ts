/**
 * RFC 5382 REQ-2: every valid RFC 793 sequence of segments gets through,
 * for connections opened from inside and (where filtering permits) from
 * outside: one case per sequence the REQ-2 justification names. Then the
 * RFC 7857 §2 state machine as a whole (each state's timer applied to its
 * own connection), and the RFC 6146 §5.2 option of checking sequence
 * numbers (recorded, not scored).
 */
import type { Packet, Side, TCPFlags } from '../../harness/packet/types';
import type { CaseContext, CaseDef } from '../../harness/runner/case';
import { only } from '../lib/flows';
import { Conn, S4B, SUITE, conn, data, emitted, establishAll, expect4, expect6, from4, from6, open, timeline, whatCameOut } from './lib';

const REQ2 = '5382-4.2-req2-sequences';

/** One step of a sequence: who sends what, or a retransmission of an earlier step. */
type Step = { from: Side; flags: TCPFlags; payload?: Buffer; label: string } | { resend: number; label: string };

/** Play a sequence on a connection; every segment must come out translated at the other end. */
async function play(t: CaseContext, c: Conn, steps: Step[]): Promise<void> {
  const sent: { side: Side; packet: Packet }[] = [];
  for (const st of steps) {
    let side: Side;
    let packet: Packet;
    if ('resend' in st) {
      ({ side, packet } = sent[st.resend]);
    } else {
      side = st.from;
      const s = side === 6 ? await from6(t, c, st.flags, st.payload) : await from4(t, c, st.flags, st.payload);
      packet = s.packet;
      sent.push({ side, packet });
      const seen = only(side === 6 ? s.ex.out4 : s.ex.out6);
      t.expectPacket(REQ2, st.label, seen, side === 6 ? expect4(t, c, packet) : expect6(c, packet));
      if (side === 6 && !c.map && seen?.packet.ipv4 && seen.packet.tcp) c.map = { addr: seen.packet.ipv4.src, port: seen.packet.tcp.sport };
      continue;
    }
    sent.push({ side, packet });
    const ex = await t.send(side, packet);
    const seen = only(side === 6 ? ex.out4 : ex.out6);
    t.expectPacket(REQ2, st.label, seen, side === 6 ? expect4(t, c, packet) : expect6(c, packet));
  }
}

const HANDSHAKE: Step[] = [
  { from: 6, flags: { syn: true }, label: 'client SYN' },
  { from: 4, flags: { syn: true, ack: true }, label: 'server SYN+ACK' },
  { from: 6, flags: { ack: true }, label: 'client ACK' },
];

const SEQUENCES: { id: string; title: string; steps: Step[] }[] = [
  {
    id: 'syn-with-data',
    title: 'a SYN carrying data (RFC 793 allows data on the SYN; TCP Fast Open uses it)',
    steps: [
      { from: 6, flags: { syn: true }, payload: data('syn data'), label: 'client SYN with 21 octets of data' },
      { from: 4, flags: { syn: true, ack: true }, label: 'server SYN+ACK acknowledging the data' },
      { from: 6, flags: { ack: true }, label: 'client ACK' },
    ],
  },
  {
    id: 'syn-retransmitted',
    title: 'the client\'s SYN sent twice (the first answer was lost)',
    steps: [
      { from: 6, flags: { syn: true }, label: 'client SYN' },
      { resend: 0, label: 'client SYN, retransmitted' },
      { from: 4, flags: { syn: true, ack: true }, label: 'server SYN+ACK' },
      { from: 6, flags: { ack: true }, label: 'client ACK' },
    ],
  },
  {
    id: 'synack-retransmitted',
    title: 'the server\'s SYN+ACK sent twice (the client\'s ACK was lost)',
    steps: [
      { from: 6, flags: { syn: true }, label: 'client SYN' },
      { from: 4, flags: { syn: true, ack: true }, label: 'server SYN+ACK' },
      { resend: 1, label: 'server SYN+ACK, retransmitted' },
      { from: 6, flags: { ack: true }, label: 'client ACK' },
    ],
  },
  {
    id: 'data-both-ways',
    title: 'data and acknowledgements in both directions, with PSH and URG',
    steps: [
      ...HANDSHAKE,
      { from: 6, flags: { ack: true, psh: true }, payload: data('request'), label: 'client data' },
      { from: 4, flags: { ack: true }, label: 'server ACK' },
      { from: 4, flags: { ack: true, psh: true }, payload: data('response'), label: 'server data' },
      { from: 4, flags: { ack: true, psh: true, urg: true }, payload: data('urgent'), label: 'server urgent data' },
      { from: 6, flags: { ack: true }, label: 'client ACK' },
    ],
  },
  {
    id: 'half-close',
    title: 'a half-close: the client closes, the server goes on sending, then closes',
    steps: [
      ...HANDSHAKE,
      { from: 6, flags: { fin: true, ack: true }, label: 'client FIN' },
      { from: 4, flags: { ack: true }, label: 'server ACK of the FIN' },
      { from: 4, flags: { ack: true, psh: true }, payload: data('after half-close'), label: 'server data into the half-closed connection' },
      { from: 6, flags: { ack: true }, label: 'client ACK of the data' },
      { from: 4, flags: { fin: true, ack: true }, label: 'server FIN' },
      { from: 6, flags: { ack: true }, label: 'client last ACK' },
    ],
  },
  {
    id: 'simultaneous-close',
    title: 'a simultaneous close: both FINs cross, then both are acknowledged',
    steps: [
      ...HANDSHAKE,
      { from: 6, flags: { fin: true, ack: true }, label: 'client FIN' },
      { from: 4, flags: { fin: true, ack: true }, label: 'server FIN crossing it' },
      { from: 6, flags: { ack: true }, label: 'client ACK of the server FIN' },
      { from: 4, flags: { ack: true }, label: 'server ACK of the client FIN' },
    ],
  },
  {
    id: 'fin-retransmitted',
    title: 'a FIN sent twice (its ACK was lost), then the close completes',
    steps: [
      ...HANDSHAKE,
      { from: 4, flags: { fin: true, ack: true }, label: 'server FIN' },
      { resend: 3, label: 'server FIN, retransmitted' },
      { from: 6, flags: { fin: true, ack: true }, label: 'client FIN+ACK' },
      { from: 4, flags: { ack: true }, label: 'server last ACK' },
    ],
  },
  {
    id: 'rst-abort',
    title: 'an abort: the server resets the open connection',
    steps: [...HANDSHAKE, { from: 6, flags: { ack: true, psh: true }, payload: data('request'), label: 'client data' }, { from: 4, flags: { rst: true, ack: true }, label: 'server RST' }],
  },
];

function sequenceCase(s: (typeof SEQUENCES)[number], i: number): CaseDef {
  return {
    id: `sequence-${s.id}`,
    suite: SUITE,
    title: `RFC 5382 REQ-2: ${s.title}; every segment is translated`,
    requirements: [REQ2],
    async run(t) {
      await play(t, conn(t, { cport: 46000 + i * 2 }), s.steps);
    },
  };
}

const outsideInitiated: CaseDef = {
  id: 'sequence-outside-initiated',
  suite: SUITE,
  title: 'RFC 5382 REQ-2, a connection opened from outside (EIF permits it): handshake, data, close; every segment is translated',
  requirements: [REQ2],
  needs: { filtering: 'endpoint-independent' },
  async run(t) {
    const a = conn(t, { cport: 46100 });
    if (!(await open(t, a))) {
      t.expect(REQ2, 'the client\'s SYN is translated (the mapping to open from outside)', false, 'no single SYN came out');
      return;
    }
    const b = conn(t, { cport: 46100, server: S4B, sport: 6100, map: a.map });
    await play(t, b, [
      { from: 4, flags: { syn: true }, label: 'outside SYN' },
      { from: 6, flags: { syn: true, ack: true }, label: 'client SYN+ACK' },
      { from: 4, flags: { ack: true }, label: 'outside ACK' },
      { from: 4, flags: { ack: true, psh: true }, payload: data('outside request'), label: 'outside data' },
      { from: 6, flags: { ack: true, psh: true }, payload: data('inside response'), label: 'client data' },
      { from: 6, flags: { fin: true, ack: true }, label: 'client FIN' },
      { from: 4, flags: { fin: true, ack: true }, label: 'outside FIN+ACK' },
      { from: 6, flags: { ack: true }, label: 'client last ACK' },
    ]);
  },
};

const walk: CaseDef = {
  id: 'state-machine-timers-per-state',
  suite: SUITE,
  title: 'RFC 7857 §2: the state machine sets each connection\'s timer by state (half-open, established, closed by FINs, reset)',
  requirements: ['7857-2-state-machine'],
  async run(t) {
    const id = '7857-2-state-machine';
    const L = Math.max(t.config.timeouts.tcpInit, t.config.timeouts.tcpTransitory);
    const half = conn(t, { cport: 46200 });
    const [est, fin, rst] = [46201, 46202, 46203].map((cport) => conn(t, { cport }));
    if (!(await open(t, half))) {
      t.expect(id, 'the half-open connection\'s SYN is translated', false, 'no single SYN came out');
      return;
    }
    if (!(await establishAll(t, [id], [est, fin, rst]))) return;
    await from6(t, fin, { fin: true, ack: true });
    await from4(t, fin, { fin: true, ack: true });
    await from6(t, fin, { ack: true });
    await from6(t, rst, { rst: true, ack: true });
    await timeline(t).at(L + 1);
    const h = await from4(t, half, { syn: true, ack: true });
    t.expect(id, `INIT: ${L + 1} s after a lone SYN the session is gone (a SYN+ACK is not delivered)`, h.ex.out6.length === 0, whatCameOut(h.ex), emitted(h.ex));
    const e = await from4(t, est, { ack: true, psh: true }, data('established'));
    t.expectPacket(id, `ESTABLISHED: after ${L + 1} s of silence data still passes (TCP_EST)`, only(e.ex.out6), expect6(est, e.packet));
    const f = await from4(t, fin, { ack: true });
    t.expect(id, `C FIN + S FIN RCV: ${L + 1} s after both FINs the session is gone`, f.ex.out6.length === 0, whatCameOut(f.ex), emitted(f.ex));
    const r = await from4(t, rst, { ack: true, psh: true }, data('after rst'));
    t.expect(id, `TRANS: ${L + 1} s after a RST with no other segment the session is gone`, r.ex.out6.length === 0, whatCameOut(r.ex), emitted(r.ex));
  },
};

const seqCheck: CaseDef = {
  id: 'out-of-window-segments',
  suite: SUITE,
  title: 'RFC 6146 §5.2 (MAY): whether RST, FIN and data far outside the window are translated (recorded)',
  requirements: ['6146-5.2-tcp-seq-check'],
  async run(t) {
    const kinds: { name: string; flags: TCPFlags; payload?: Buffer }[] = [
      { name: 'data', flags: { ack: true, psh: true }, payload: data('out of window') },
      { name: 'FIN', flags: { fin: true, ack: true } },
      { name: 'RST', flags: { rst: true } },
    ];
    const lines: string[] = [];
    const seen = [];
    for (const [i, k] of kinds.entries()) {
      const c = conn(t, { cport: 46300 + i });
      if (!(await establishAll(t, ['6146-5.2-tcp-seq-check'], [c]))) return;
      // 2^31 away from the expected sequence number: outside any window.
      const far = (c.snext + 0x8000_0000) >>> 0;
      const p = { ipv4: { src: c.server, dst: c.map!.addr, ttl: 64 }, tcp: { sport: c.sport, dport: c.map!.port, seq: far, ack: c.cnext, flags: k.flags, window: 65535 }, ...(k.payload ? { payload: k.payload } : {}) };
      const ex = await t.send(4, p);
      lines.push(`${k.name}: ${ex.out6.length ? 'translated' : 'not translated'}`);
      seen.push(...emitted(ex));
    }
    t.behaviour('6146-5.2-tcp-seq-check', 'out-of-window segments from the IPv4 side', lines.join('; '), seen);
  },
};

export const sequenceCases: CaseDef[] = [...SEQUENCES.map(sequenceCase), outsideInitiated, walk, seqCheck];
