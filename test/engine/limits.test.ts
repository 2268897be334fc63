/**
 * Resource limits of the engine (engine/nat64/limits.ts): configuration,
 * per-subscriber port / session / rate limits (RFC 6888 REQ-4, REQ-5), the
 * global caps of RFC 6146 §5.3, port quarantine (RFC 6888 REQ-8), the
 * refusal (drop + ICMPv6 1/3, no eviction) and the faults of this module.
 */
import { expect } from 'chai';
import { decode, encode } from '../../harness/packet/codec';
import { LAB } from '../../harness/lab/addressing';
import { embed } from '../../harness/packet/rfc6052';
import type { Packet } from '../../harness/packet/types';
import type { Emitted } from '../../engine/api';
import { DEFAULT_LIMITS, parseEngineConfig } from '../../engine/config';
import { Lab, makeLab, configError } from './lab';

const P = LAB.pool6;
const [C6, C6b] = LAB.client6;
const [S4, S4b, S4c] = LAB.server4;
const [T1, T2] = LAB.pool4;

const lab = (raw: Record<string, unknown> = {}, seed = 7): Lab => makeLab(raw, seed);

function udp6(src: string, sport: number, dst4: string, dport = 9): Buffer {
  return encode({ ipv6: { src, dst: embed(P, dst4), hopLimit: 64 }, udp: { sport, dport }, payload: Buffer.from('limits') });
}
function udp4(src: string, sport: number, dst: string, dport: number): Buffer {
  return encode({ ipv4: { src, dst, ttl: 64 }, udp: { sport, dport }, payload: Buffer.from('limits') });
}
function syn6(src: string, sport: number, dst4: string): Buffer {
  return encode({ ipv6: { src, dst: embed(P, dst4), hopLimit: 64 }, tcp: { sport, dport: 80, seq: 1, flags: { syn: true }, window: 8192 } });
}
function syn4(src: string, sport: number, dst: string, dport: number): Buffer {
  return encode({ ipv4: { src, dst, ttl: 64 }, tcp: { sport, dport, seq: 1, flags: { syn: true }, window: 8192 } });
}

const decoded = (out: Emitted[]) => out.map((o) => ({ side: o.side, p: decode(o.bytes) }));

/** UDP from src:sport to dst: the translated packet, or undefined with what came back instead. */
function send(l: Lab, src: string, sport: number, dst: string = S4): { p4?: Packet; back: Packet[] } {
  const out = decoded(l.x.push(6, udp6(src, sport, dst)));
  return { p4: out.find((o) => o.side === 4)?.p, back: out.filter((o) => o.side === 6).map((o) => o.p) };
}

function expectRefused(r: { p4?: Packet; back: Packet[] }, client: string): void {
  expect(r.p4, 'translated').to.equal(undefined);
  expect(r.back.length).to.equal(1);
  expect(r.back[0].icmpv6).to.include({ type: 1, code: 3 });
  expect(r.back[0].ipv6!.dst).to.equal(client);
}

describe('engine resource limits (engine/nat64/limits.ts)', () => {
  describe('configuration', () => {
    it('defaults: /128 subscribers, no per-subscriber limit, global caps, 120 s quarantine', () => {
      const c = parseEngineConfig({});
      expect(c.limits).to.deep.equal(DEFAULT_LIMITS);
      expect(c.limits.quarantine.seconds).to.equal(120);
      expect(c.limits.ports).to.deep.equal({});
    });

    it('accepts every knob and normalises', () => {
      const c = parseEngineConfig({
        limits: { subscriberPrefix: 56, ports: { udp: 10, icmp: 2 }, sessions: 100, sessionsPerMapping: 5, mappingRate: 2.5, sessionRate: 10, maxBib: 50, maxSessions: 60, maxHeldSyns: 0, quarantine: { seconds: 30 } },
      });
      expect(c.limits).to.deep.include({ subscriberPrefix: 56, ports: { udp: 10, icmp: 2 }, sessions: 100, sessionsPerMapping: 5, mappingRate: 2.5, sessionRate: 10, maxBib: 50, maxSessions: 60, maxHeldSyns: 0 });
      expect(c.limits.quarantine).to.deep.equal({ seconds: 30, maxPorts: DEFAULT_LIMITS.quarantine.maxPorts });
    });

    it('refuses bad values with one-line errors naming the field', () => {
      expect(configError({ limits: 5 })).to.match(/^config\.limits: 5 is not an object/);
      expect(configError({ limits: { subscriberPrefix: 129 } })).to.equal('config.limits.subscriberPrefix: 129 is not valid; use an integer 1-128');
      expect(configError({ limits: { ports: { sctp: 1 } } })).to.match(/^config\.limits\.ports\.sctp: unknown setting/);
      expect(configError({ limits: { ports: { udp: 0 } } })).to.match(/^config\.limits\.ports\.udp: 0 is not valid/);
      expect(configError({ limits: { mappingRate: -1 } })).to.match(/^config\.limits\.mappingRate: -1 is not valid; use a positive number/);
      expect(configError({ limits: { quarantine: { seconds: 1.5 } } })).to.match(/^config\.limits\.quarantine\.seconds: 1\.5 is not valid/);
      expect(configError({ limits: { bogus: 1 } })).to.match(/^config\.limits\.bogus: unknown setting/);
      for (const m of [configError({ limits: { sessions: 'many' } }), configError({ limits: { quarantine: [] } })]) expect(m).to.not.include('\n');
    });
  });

  describe('per-subscriber limits (RFC 6888 REQ-4, REQ-5, REQ-11)', () => {
    it('caps the ports of a subscriber per protocol, answers with ICMPv6 1/3, leaves other subscribers and existing mappings alone', () => {
      const l = lab({ limits: { ports: { udp: 2 } } });
      const a = send(l, C6, 40000).p4!;
      send(l, C6, 40002);
      expectRefused(send(l, C6, 40004), C6);
      expect(l.x.lastDrop).to.match(/holds 2 udp ports/);
      expect(send(l, C6b, 40000).p4).to.not.equal(undefined);
      // TCP has no limit; the existing UDP mapping still answers.
      expect(decoded(l.x.push(6, syn6(C6, 40004, S4))).map((o) => o.side)).to.deep.equal([4]);
      expect(decoded(l.x.push(4, udp4(S4, 9, a.ipv4!.src, a.udp!.sport))).map((o) => o.p.ipv6?.dst)).to.deep.equal([C6]);
    });

    it('counts a subscriber by prefix when subscriberPrefix is shorter than 128', () => {
      const l = lab({ limits: { subscriberPrefix: 120, ports: { udp: 2 } } });
      send(l, C6, 40000);
      send(l, C6b, 40000);
      expectRefused(send(l, C6, 40002), C6);
      expect(send(l, '2001:db8:6::110', 40000).p4).to.not.equal(undefined);
    });

    it('gives a port back to the subscriber when its mapping expires', () => {
      const l = lab({ limits: { ports: { udp: 1 } } });
      send(l, C6, 40000);
      expectRefused(send(l, C6, 40002), C6);
      l.clock.advance(301_000);
      l.x.expire();
      expect(send(l, C6, 40002).p4).to.not.equal(undefined);
    });

    it('caps sessions per subscriber and per mapping, outbound and inbound', () => {
      const l = lab({ limits: { sessions: 2 } });
      const a = send(l, C6, 40000, S4).p4!;
      send(l, C6, 40000, S4b);
      expectRefused(send(l, C6, 40000, S4c), C6);
      expect(l.x.lastDrop).to.match(/holds 2 sessions/);
      // An inbound packet from a new remote would add a third session: dropped silently.
      expect(l.x.push(4, udp4(S4c, 9, a.ipv4!.src, a.udp!.sport))).to.deep.equal([]);
      const m = lab({ limits: { sessionsPerMapping: 1 } });
      send(m, C6, 40000, S4);
      expectRefused(send(m, C6, 40000, S4b), C6);
      expect(send(m, C6, 40002, S4b).p4).to.not.equal(undefined);
    });

    it('rate-limits new mappings and new sessions with one second of burst', () => {
      const l = lab({ limits: { mappingRate: 2 } });
      expect([0, 1, 2].map((i) => !!send(l, C6, 40000 + 2 * i).p4)).to.deep.equal([true, true, false]);
      l.clock.advance(500);
      expect(!!send(l, C6, 40010).p4).to.equal(true);
      expect(!!send(l, C6, 40012).p4).to.equal(false);
      const s = lab({ limits: { sessionRate: 1 } });
      expect(!!send(s, C6, 40000, S4).p4).to.equal(true);
      expect(!!send(s, C6, 40000, S4b).p4).to.equal(false);
      // Existing sessions are not rate-limited.
      expect(!!send(s, C6, 40000, S4).p4).to.equal(true);
    });
  });

  describe('global caps (RFC 6146 §5.3)', () => {
    it('caps BIB entries and sessions', () => {
      const l = lab({ limits: { maxBib: 2 } });
      send(l, C6, 40000);
      send(l, C6b, 40000);
      expectRefused(send(l, LAB.client6[2], 40000), LAB.client6[2]);
      expect(l.x.bib().length).to.equal(2);
      const s = lab({ limits: { maxSessions: 2 } });
      send(s, C6, 40000, S4);
      send(s, C6, 40000, S4b);
      expectRefused(send(s, C6, 40000, S4c), C6);
      expect(s.x.sessions().length).to.equal(2);
    });

    it('caps held IPv4 SYNs; the rest are dropped and never answered', () => {
      const l = lab({ limits: { maxHeldSyns: 2 } });
      for (let i = 0; i < 5; i++) expect(l.x.push(4, syn4(`198.18.150.${i + 1}`, 1000, T1, 3000 + i))).to.deep.equal([]);
      l.clock.advance(7_000);
      const errs = decoded(l.x.expire()).filter((o) => o.p.icmpv4?.type === 3);
      expect(errs.length).to.equal(2);
    });
  });

  describe('port quarantine (RFC 6888 REQ-8)', () => {
    const one = { pool4: [{ address: T1, ports: { udp: { min: 2000, max: 2000 } } }], timeouts: { udp: 120 } };

    it('holds a freed port back 120 s by default', () => {
      const l = lab(one);
      send(l, C6, 40000);
      l.clock.advance(121_000);
      l.x.expire();
      expectRefused(send(l, C6b, 40000), C6b);
      l.clock.advance(119_000);
      expectRefused(send(l, C6b, 40002), C6b);
      l.clock.advance(1_000);
      expect(send(l, C6b, 40004).p4!.udp!.sport).to.equal(2000);
    });

    it('honours the configured time and maximum', () => {
      const l = lab({ ...one, limits: { quarantine: { seconds: 10 } } });
      send(l, C6, 40000);
      l.clock.advance(121_000);
      l.x.expire();
      expectRefused(send(l, C6b, 40000), C6b);
      l.clock.advance(10_000);
      expect(send(l, C6b, 40002).p4).to.not.equal(undefined);
      const z = lab({ ...one, limits: { quarantine: { seconds: 0 } } });
      send(z, C6, 40000);
      z.clock.advance(121_000);
      z.x.expire();
      expect(send(z, C6b, 40000).p4).to.not.equal(undefined);
      const two = lab({ pool4: [{ address: T1, ports: { udp: { min: 2000, max: 2001 } } }], timeouts: { udp: 120 }, limits: { quarantine: { maxPorts: 1 } } });
      send(two, C6, 40000);
      send(two, C6b, 40000);
      two.clock.advance(121_000);
      two.x.expire();
      expect(!!send(two, LAB.client6[2], 40000).p4).to.equal(true);
      expect(!!send(two, LAB.client6[3], 40000).p4).to.equal(false);
    });
  });

  describe('faults of this module', () => {
    const full = { pool4: [{ address: T1, ports: { udp: { min: 2000, max: 2000 } } }] };

    it('exhaustion-silent / exhaustion-wrong-icmp-code / exhaustion-forwarded change the refusal', () => {
      const silent = lab({ ...full, faults: ['exhaustion-silent'] });
      send(silent, C6, 40000);
      expect(send(silent, C6b, 40000)).to.deep.equal({ p4: undefined, back: [] });
      const wrong = lab({ ...full, faults: ['exhaustion-wrong-icmp-code'] });
      send(wrong, C6, 40000);
      expect(send(wrong, C6b, 40000).back[0].icmpv6).to.include({ type: 1, code: 4 });
      const fwd = lab({ ...full, faults: ['exhaustion-forwarded'] });
      send(fwd, C6, 40000);
      expect(send(fwd, C6b, 40002).p4!.udp!.sport).to.equal(40002);
    });

    it('limit-evicts-existing deletes the oldest mapping to make room', () => {
      const l = lab({ limits: { ports: { udp: 1 } }, faults: ['limit-evicts-existing'] });
      const a = send(l, C6, 40000).p4!;
      expect(send(l, C6, 40002).p4).to.not.equal(undefined);
      expect(l.x.push(4, udp4(S4, 9, a.ipv4!.src, a.udp!.sport))).to.deep.equal([]);
      const p = lab({ ...full, faults: ['limit-evicts-existing'] });
      send(p, C6, 40000);
      expect(send(p, C6b, 40000).p4!.udp!.sport).to.equal(2000);
    });

    it('no-per-subscriber-limit, subscriber-per-address, no-session-limit, no-rate-limit, unbounded-state lift their limit', () => {
      const cases: [string, Record<string, unknown>, (l: Lab) => boolean][] = [
        ['no-per-subscriber-limit', { ports: { udp: 1 } }, (l) => !!send(l, C6, 40000).p4 && !!send(l, C6, 40002).p4],
        ['subscriber-per-address', { subscriberPrefix: 64, ports: { udp: 1 } }, (l) => !!send(l, C6, 40000).p4 && !!send(l, C6b, 40002).p4],
        ['no-session-limit', { sessions: 1 }, (l) => !!send(l, C6, 40000, S4).p4 && !!send(l, C6, 40000, S4b).p4],
        ['no-rate-limit', { mappingRate: 1 }, (l) => !!send(l, C6, 40000).p4 && !!send(l, C6, 40002).p4],
        ['unbounded-state', { maxBib: 1 }, (l) => !!send(l, C6, 40000).p4 && !!send(l, C6b, 40000).p4],
      ];
      for (const [fault, limits, lifted] of cases) {
        expect(lifted(lab({ limits })), `${fault} off`).to.equal(false);
        expect(lifted(lab({ limits, faults: [fault] })), fault).to.equal(true);
      }
    });

    it('no-port-quarantine / quarantine-not-configurable', () => {
      const one = { ...full, timeouts: { udp: 120 } };
      const run = (extra: Record<string, unknown>) => {
        const l = lab({ ...one, ...extra });
        send(l, C6, 40000);
        l.clock.advance(121_000); // expired at 120 s, released now
        l.x.expire();
        l.clock.advance(31_000);
        return !!send(l, C6b, 40000).p4;
      };
      expect(run({ limits: { quarantine: { seconds: 30 } } })).to.equal(true);
      expect(run({ limits: { quarantine: { seconds: 30 } }, faults: ['quarantine-not-configurable'] })).to.equal(false);
      expect(run({ limits: { quarantine: { seconds: 60 } } })).to.equal(false);
      expect(run({ limits: { quarantine: { seconds: 60 } }, faults: ['no-port-quarantine'] })).to.equal(true);
    });

    it('soft-app, pool4-contiguous-only, pool4-size-limit', () => {
      const two = { pool4: [T1, T2].map((address) => ({ address, ports: { udp: { min: 2000, max: 2000 } } })) };
      const strict = lab(two);
      send(strict, C6, 40000);
      expectRefused(send(strict, C6, 40002), C6);
      const soft = lab({ ...two, faults: ['soft-app'] });
      const first = send(soft, C6, 40000).p4!.ipv4!.src;
      expect(send(soft, C6, 40002).p4!.ipv4!.src).to.not.equal(first);
      const gap = { pool4: ['198.18.0.1', '198.18.0.9'].map((address) => ({ address, ports: { udp: { min: 2000, max: 2000 } } })) };
      const c = lab({ ...gap, faults: ['pool4-contiguous-only'] });
      expect(send(c, C6, 40000).p4!.ipv4!.src).to.equal('198.18.0.1');
      expectRefused(send(c, C6b, 40000), C6b);
      expect(parseEngineConfig({ pool4: ['198.19.0.0/21'] }).pool4.length).to.equal(2048);
      expect(configError({ pool4: ['198.19.0.0/21'], faults: ['pool4-size-limit'] })).to.equal('config.pool4: 2048 addresses; at most 1024 are supported');
    });
  });
});
