/**
 * The TCP state machine of the engine (RFC 6146 §3.5.2.2): the pure
 * transition function, the partially-open timeout setting (RFC 7857 §2.1)
 * and its bounds, and the state-machine faults of engine/nat64/tcp-faults.ts,
 * pipeline.ts and engine/index.ts, through createTranslator.
 */
import { expect } from 'chai';
import { decode, encode } from '../../harness/packet/codec';
import { LAB } from '../../harness/lab/addressing';
import { embed } from '../../harness/packet/rfc6052';
import type { Packet, TCPFlags } from '../../harness/packet/types';
import type { Emitted } from '../../engine/api';
import { ConfigError, parseEngineConfig } from '../../engine/config';
import { faultFlags } from '../../engine/nat64/flags';
import { Lifetime, TcpState, tcpStep } from '../../engine/nat64/tcp-state';
import { tcpStepUnderFaults } from '../../engine/nat64/tcp-faults';
import { Lab, makeLab } from './lab';

const [C6] = LAB.client6;
const [S4, S4b] = LAB.server4;
const S = 1000;

const lab = (raw: Record<string, unknown> = {}, seed = 7): Lab => makeLab(raw, seed);

function tcp6(sport: number, dst4: string, dport: number, flags: TCPFlags): Buffer {
  return encode({ ipv6: { src: C6, dst: embed(LAB.pool6, dst4), hopLimit: 64 }, tcp: { sport, dport, seq: 1000, ack: flags.ack ? 1 : 0, flags, window: 8192 } });
}
function tcp4(src: string, sport: number, dst: string, dport: number, flags: TCPFlags): Buffer {
  return encode({ ipv4: { src, dst, ttl: 64 }, tcp: { sport, dport, seq: 5000, ack: flags.ack ? 1001 : 0, flags, window: 8192 } });
}
const sides = (out: Emitted[]): number[] => out.map((o) => o.side);
const decoded = (out: Emitted[]): Packet[] => out.map((o) => decode(o.bytes));

/** C6:sport opens a connection to S4:80 (SYN, SYN+ACK); returns (T,t). */
function established(l: Lab, sport = 50000): { T: string; t: number } {
  const syn = decoded(l.x.push(6, tcp6(sport, S4, 80, { syn: true })));
  expect(syn, `SYN (last drop: ${l.x.lastDrop})`).to.have.length(1);
  const T = syn[0].ipv4!.src;
  const t = syn[0].tcp!.sport;
  expect(sides(l.x.push(4, tcp4(S4, 80, T, t, { syn: true, ack: true })))).to.deep.equal([6]);
  return { T, t };
}

/** Whether an inbound ACK from S4:80 to (T,t) still reaches the host. */
const alive = (l: Lab, m: { T: string; t: number }): boolean => sides(l.x.push(4, tcp4(S4, 80, m.T, m.t, { ack: true }))).includes(6);

describe('engine TCP state machine (RFC 6146 §3.5.2.2)', () => {
  describe('transition function', () => {
    const none = { syn: false, fin: false, rst: false };
    const SYN = { ...none, syn: true };
    const FIN = { ...none, fin: true };
    const RST = { ...none, rst: true };
    const rows: [TcpState, 4 | 6, typeof none, TcpState, Lifetime][] = [
      [TcpState.V4_INIT, 6, SYN, TcpState.ESTABLISHED, Lifetime.EST],
      [TcpState.V4_INIT, 4, SYN, TcpState.V4_INIT, Lifetime.KEEP],
      [TcpState.V4_INIT, 6, RST, TcpState.V4_INIT, Lifetime.KEEP],
      [TcpState.V6_INIT, 4, SYN, TcpState.ESTABLISHED, Lifetime.EST],
      [TcpState.V6_INIT, 6, SYN, TcpState.V6_INIT, Lifetime.INIT],
      [TcpState.V6_INIT, 4, RST, TcpState.V6_INIT, Lifetime.KEEP],
      [TcpState.ESTABLISHED, 4, FIN, TcpState.V4_FIN_RCV, Lifetime.EST],
      [TcpState.ESTABLISHED, 6, FIN, TcpState.V6_FIN_RCV, Lifetime.EST],
      [TcpState.ESTABLISHED, 4, RST, TcpState.TRANS, Lifetime.TRANS],
      [TcpState.ESTABLISHED, 6, RST, TcpState.TRANS, Lifetime.TRANS],
      [TcpState.ESTABLISHED, 6, none, TcpState.ESTABLISHED, Lifetime.EST],
      [TcpState.V4_FIN_RCV, 6, FIN, TcpState.V4_FIN_V6_FIN_RCV, Lifetime.TRANS],
      [TcpState.V4_FIN_RCV, 4, FIN, TcpState.V4_FIN_RCV, Lifetime.EST],
      [TcpState.V4_FIN_RCV, 6, none, TcpState.V4_FIN_RCV, Lifetime.EST],
      [TcpState.V6_FIN_RCV, 4, FIN, TcpState.V4_FIN_V6_FIN_RCV, Lifetime.TRANS],
      [TcpState.V6_FIN_RCV, 4, none, TcpState.V6_FIN_RCV, Lifetime.EST],
      [TcpState.V4_FIN_V6_FIN_RCV, 4, none, TcpState.V4_FIN_V6_FIN_RCV, Lifetime.KEEP],
      [TcpState.TRANS, 4, none, TcpState.ESTABLISHED, Lifetime.EST],
      [TcpState.TRANS, 6, FIN, TcpState.ESTABLISHED, Lifetime.EST],
      [TcpState.TRANS, 6, RST, TcpState.TRANS, Lifetime.KEEP],
    ];
    for (const [state, from, f, next, life] of rows) {
      it(`state ${state} + ${JSON.stringify(f)} from side ${from} -> state ${next}, lifetime ${life}`, () => {
        expect(tcpStep(state, from, f)).to.deep.equal({ state: next, lifetime: life });
      });
    }

    it('with no fault, tcpStepUnderFaults is tcpStep', () => {
      const flags = faultFlags([]);
      for (let s = 1; s <= 7; s++) {
        for (const from of [4, 6] as const) {
          for (let bits = 0; bits < 16; bits++) {
            const f = { syn: !!(bits & 1), fin: !!(bits & 2), rst: !!(bits & 4) };
            expect(tcpStepUnderFaults(flags, s as TcpState, from, f, !!(bits & 8))).to.deep.equal(tcpStep(s as TcpState, from, f));
          }
        }
      }
    });
  });

  describe('timeouts', () => {
    const refusal = (raw: unknown): string => {
      try {
        parseEngineConfig(raw);
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };

    it('the partially-open timeout defaults to TCP_TRANS and cannot go below it', () => {
      expect(parseEngineConfig({}).timeouts.tcpInit).to.equal(240);
      expect(parseEngineConfig({ timeouts: { tcpInit: 600 } }).timeouts).to.include({ tcpInit: 600, tcpTransitory: 240 });
      expect(refusal({ timeouts: { tcpInit: 239 } })).to.match(/tcpInit: 239 is below TCP_TRANS/);
      expect(refusal({ timeouts: { tcpTransitory: 60 } })).to.match(/tcpTransitory/);
      expect(refusal({ timeouts: { tcpEstablished: 3600 } })).to.match(/TCP_EST/);
    });

    it('fault accept-short-tcp-timeouts lets TCP timeouts below the minimums through, and only those', () => {
      const faults = ['accept-short-tcp-timeouts'];
      expect(parseEngineConfig({ timeouts: { tcpEstablished: 3600, tcpTransitory: 60, tcpInit: 60 }, faults }).timeouts).to.include({ tcpEstablished: 3600, tcpTransitory: 60, tcpInit: 60 });
      expect(refusal({ timeouts: { udp: 60 }, faults })).to.match(/UDP_MIN/);
      expect(refusal({ timeouts: { tcpIncomingSyn: 1 }, faults })).to.match(/TCP_INCOMING_SYN/);
    });

    it('V6 INIT lives by tcpInit (also after a retransmitted SYN); a RST leaves TCP_TRANS (tcpTransitory)', () => {
      const l = lab({ timeouts: { tcpInit: 600 } });
      const half = decoded(l.x.push(6, tcp6(50100, S4, 80, { syn: true })))[0];
      const m = established(l, 50101);
      expect(sides(l.x.push(6, tcp6(50101, S4, 80, { rst: true, ack: true })))).to.deep.equal([4]);
      l.clock.advance(241 * S);
      expect(alive(l, m), 'closing session after 241 s').to.equal(false);
      l.clock.advance(300 * S);
      expect(sides(l.x.push(6, tcp6(50100, S4, 80, { syn: true }))), 'retransmitted SYN at 541 s').to.deep.equal([4]);
      l.clock.advance(590 * S);
      expect(sides(l.x.push(4, tcp4(S4, 80, half.ipv4!.src, half.tcp!.sport, { syn: true, ack: true }))), 'SYN+ACK 590 s after the retransmission').to.deep.equal([6]);
    });
  });

  describe('faults of the state machine', () => {
    it('no-tcp-state-machine: any outbound segment opens a mapping; an unmapped inbound SYN is dropped at once and never answered', () => {
      const l = lab({ faults: ['no-tcp-state-machine'] });
      expect(sides(l.x.push(6, tcp6(50200, S4, 80, { ack: true })))).to.deep.equal([4]);
      expect(l.x.push(4, tcp4(S4, 80, LAB.pool4[0], 33333, { syn: true }))).to.deep.equal([]);
      l.clock.advance(10 * S);
      expect(l.x.expire()).to.deep.equal([]);
      const m = established(l);
      expect(sides(l.x.push(6, tcp6(50000, S4, 80, { rst: true })))).to.deep.equal([4]);
      l.clock.advance(241 * S);
      expect(alive(l, m), 'still alive 241 s after a RST').to.equal(true);
    });

    it('v4-syn-not-held: the unsolicited SYN is answered at the next step; held-syn-no-icmp: never', () => {
      const a = lab({ faults: ['v4-syn-not-held'] });
      expect(a.x.push(4, tcp4(S4, 80, LAB.pool4[0], 33333, { syn: true }))).to.deep.equal([]);
      const err = decoded(a.x.expire());
      expect(err.map((p) => [p.icmpv4?.type, p.icmpv4?.code])).to.deep.equal([[3, 3]]);
      const b = lab({ faults: ['held-syn-no-icmp'] });
      b.x.push(4, tcp4(S4, 80, LAB.pool4[0], 33333, { syn: true }));
      b.clock.advance(10 * S);
      expect(b.x.expire()).to.deep.equal([]);
      expect(b.x.sessions()).to.deep.equal([]);
    });

    it('rst-not-transitory: a RST ends the session at once; rst-not-translated: the RST is swallowed', () => {
      const a = lab({ faults: ['rst-not-transitory'] });
      const m = established(a);
      expect(sides(a.x.push(6, tcp6(50000, S4, 80, { rst: true })))).to.deep.equal([4]);
      expect(alive(a, m)).to.equal(false);
      const b = lab({ faults: ['rst-not-translated'] });
      established(b);
      expect(b.x.push(6, tcp6(50000, S4, 80, { rst: true }))).to.deep.equal([]);
    });

    it('no-est-probe: the ESTABLISHED expiry sends nothing but still moves to TRANS', () => {
      const l = lab({ faults: ['no-est-probe'] });
      established(l);
      l.clock.advance(7200 * S);
      expect(l.x.expire()).to.deep.equal([]);
      expect(l.x.sessions()[0].state).to.equal('TRANS');
    });

    it('fin-not-tracked keeps ESTABLISHED after both FINs; half-close-transitory cuts a half-close to TCP_TRANS', () => {
      const a = lab({ faults: ['fin-not-tracked'] });
      const m = established(a);
      a.x.push(6, tcp6(50000, S4, 80, { fin: true, ack: true }));
      a.x.push(4, tcp4(S4, 80, m.T, m.t, { fin: true, ack: true }));
      expect(a.x.sessions()[0].state).to.equal('ESTABLISHED');
      const b = lab({ faults: ['half-close-transitory'] });
      const n = established(b);
      b.x.push(6, tcp6(50000, S4, 80, { fin: true, ack: true }));
      b.clock.advance(230 * S);
      expect(alive(b, n), 'refreshes nothing').to.equal(true);
      b.clock.advance(11 * S);
      expect(alive(b, n), 'gone 241 s after the FIN').to.equal(false);
    });

    it('tcp-no-refresh: traffic does not move the ESTABLISHED expiry', () => {
      const l = lab({ faults: ['tcp-no-refresh'] });
      const m = established(l);
      const expires = l.x.sessions()[0].expires;
      l.clock.advance(3600 * S);
      expect(alive(l, m)).to.equal(true);
      expect(l.x.sessions()[0].expires).to.equal(expires);
    });

    it('no-simultaneous-open: in V6 INIT a bare inbound SYN is dropped, a SYN+ACK still passes', () => {
      const l = lab({ faults: ['no-simultaneous-open'] });
      const syn = decoded(l.x.push(6, tcp6(50000, S4, 80, { syn: true })))[0];
      expect(l.x.push(4, tcp4(S4, 80, syn.ipv4!.src, syn.tcp!.sport, { syn: true }))).to.deep.equal([]);
      expect(sides(l.x.push(4, tcp4(S4, 80, syn.ipv4!.src, syn.tcp!.sport, { syn: true, ack: true })))).to.deep.equal([6]);
    });

    it('timer faults: tcp-trans-too-short (60 s), tcp-est-too-short (1 h), tcp-est-too-long (24 h), tcp-init-timeout-ignored', () => {
      const expiresIn = (faults: string[], step: (l: Lab) => void, raw: Record<string, unknown> = {}): number => {
        const l = lab({ ...raw, faults });
        step(l);
        return (l.x.sessions()[0].expires - l.clock.now()) / S;
      };
      const half = (l: Lab) => l.x.push(6, tcp6(50000, S4, 80, { syn: true }));
      expect(expiresIn(['tcp-trans-too-short'], half)).to.equal(60);
      expect(expiresIn(['tcp-est-too-short'], (l) => established(l))).to.equal(3600);
      expect(expiresIn(['tcp-est-too-long'], (l) => established(l))).to.equal(86400);
      expect(expiresIn([], half, { timeouts: { tcpInit: 600 } })).to.equal(600);
      expect(expiresIn(['tcp-init-timeout-ignored'], half, { timeouts: { tcpInit: 600 } })).to.equal(240);
    });

    it('held SYNs under ADF follow the same faults', () => {
      const l = lab({ filtering: 'address-dependent', faults: ['v4-syn-not-held'] });
      const m = established(l);
      expect(l.x.push(4, tcp4(S4b, 6000, m.T, m.t, { syn: true }))).to.deep.equal([]);
      expect(decoded(l.x.expire()).map((p) => p.icmpv4?.type)).to.deep.equal([3]);
    });
  });
});
