/**
 * The byte-level fast path of established flows (engine/nat64/fast-path.ts)
 * against the full pipeline: two translators with the same config, seed and
 * virtual clock, one with the fast path and one without (TranslatorDeps
 * fastPath: false), fed the same random traffic, must emit the same octets,
 * hold the same BIB and sessions, log the same events and expire alike. And
 * the packets the fast path must leave alone reach the pipeline (its
 * `declined` counter moves, `hits` does not).
 */
import { expect } from 'chai';
import { decode, encode } from '../../harness/packet/codec';
import { LAB } from '../../harness/lab/addressing';
import { embed } from '../../harness/packet/rfc6052';
import type { Packet, TCPFlags, TCPOption } from '../../harness/packet/types';
import type { Emitted } from '../../engine/api';
import { parseEngineConfig } from '../../engine/config';
import { Nat64Translator, VirtualClock, createTranslator, seededRandom, virtualClock } from '../../engine';

const P: string = LAB.pool6;

/** The same translator twice: `fast` with the fast path, `slow` without, each on its own clock moved in step. */
class Pair {
  readonly fast: Nat64Translator;
  readonly slow: Nat64Translator;
  private readonly clocks: VirtualClock[];

  constructor(raw: Record<string, unknown>, seed: number) {
    const config = parseEngineConfig({ pool6: P, ...raw });
    const mk = (fastPath: boolean) => {
      const clock = virtualClock(1_000_000);
      const x = createTranslator(config, {
        clock,
        random: seededRandom(seed),
        fastPath,
        onInternalError: (e) => {
          throw e;
        },
      });
      return { x, clock };
    };
    const a = mk(true);
    const b = mk(false);
    this.fast = a.x;
    this.slow = b.x;
    this.clocks = [a.clock, b.clock];
  }

  /** Pushes into both; fails unless both emit the same octets and record the same drop reason. */
  push(side: 4 | 6, bytes: Buffer, what: string): Emitted[] {
    const a = this.fast.push(side, Buffer.from(bytes));
    const b = this.slow.push(side, Buffer.from(bytes));
    expect(a.map(hexOf), what).to.deep.equal(b.map(hexOf));
    expect(this.fast.lastDrop, `${what}: drop reason`).to.equal(this.slow.lastDrop);
    return a;
  }

  advance(ms: number): void {
    for (const c of this.clocks) c.advance(ms);
  }

  expire(): void {
    expect(this.fast.expire().map(hexOf), 'expiry output').to.deep.equal(this.slow.expire().map(hexOf));
  }

  /** BIB, sessions (expiry times and TCP states included) and the event log are the same. */
  same(what: string): void {
    expect(this.fast.bib(), `${what}: BIB`).to.deep.equal(this.slow.bib());
    expect(this.fast.sessions(), `${what}: sessions`).to.deep.equal(this.slow.sessions());
    expect(this.fast.events?.(), `${what}: events`).to.deep.equal(this.slow.events?.());
  }
}

const hexOf = (e: Emitted) => `${e.side}:${e.bytes.toString('hex')}`;

interface Flow {
  proto: 'udp' | 'tcp' | 'icmp';
  client: string;
  sport: number;
  server: string;
  dport: number;
  /** Pref64::/n the client sends to (default P). */
  pool6?: string;
  /** (T,t) once known (ICMP: T and the identifier i2). */
  t?: { address: string; port: number };
  seq: number;
  ack: number;
}

/** Uniform integers in [0, n), reproducible from a seed. */
interface Rng {
  int(n: number): number;
}

const makeRng = (seed: number): Rng => ({ int: seededRandom(seed) });

/** A random payload of 0 to `max` octets. */
function payload(rng: Rng, max: number): Buffer {
  const n = rng.int(max + 1);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

const TS: TCPOption[] = [{ kind: 1 }, { kind: 1 }, { kind: 8, data: Buffer.from('0102030405060708', 'hex') }];

/** An ACK with any of the flags that leave the state machine alone. */
function dataFlags(rng: Rng): TCPFlags {
  return { ack: true, psh: rng.int(2) === 1, urg: rng.int(8) === 0, ece: rng.int(8) === 0, cwr: rng.int(8) === 0, ns: rng.int(8) === 0 };
}

function out6(f: Flow, rng: Rng, body: Buffer, flags: TCPFlags = dataFlags(rng), hopLimit = 2 + rng.int(253)): Buffer {
  const ipv6 = { src: f.client, dst: embed(f.pool6 ?? P, f.server), hopLimit, trafficClass: rng.int(256), flowLabel: rng.int(1 << 20) };
  if (f.proto === 'udp') return encode({ ipv6, udp: { sport: f.sport, dport: f.dport }, payload: body });
  if (f.proto === 'icmp') return encode({ ipv6, icmpv6: { type: rng.int(4) ? 128 : 129, code: 0, id: f.sport, seq: rng.int(65536) }, payload: body });
  const options = rng.int(2) ? TS : undefined;
  return encode({ ipv6, tcp: { sport: f.sport, dport: f.dport, seq: f.seq, ack: f.ack, flags, window: 1000 + rng.int(60000), urgent: rng.int(4) ? 0 : rng.int(65536), options }, payload: body });
}

function in4(f: Flow, rng: Rng, body: Buffer, flags: TCPFlags = dataFlags(rng), ttl = 2 + rng.int(253)): Buffer {
  const ipv4 = { src: f.server, dst: f.t!.address, ttl, tos: rng.int(256), df: rng.int(2) === 1, reservedFlag: rng.int(20) === 0, id: rng.int(65536) };
  if (f.proto === 'udp') return encode({ ipv4, udp: { sport: f.dport, dport: f.t!.port }, payload: body });
  if (f.proto === 'icmp') return encode({ ipv4, icmpv4: { type: rng.int(4) ? 0 : 8, code: 0, id: f.t!.port, seq: rng.int(65536) }, payload: body });
  return encode({ ipv4, tcp: { sport: f.dport, dport: f.t!.port, seq: f.ack, ack: f.seq, flags, window: 2000 + rng.int(60000) }, payload: body });
}

/** (T,t) of a flow from the first packet it sent out. */
function mapped(out: Emitted[]): { address: string; port: number } | undefined {
  const p: Packet | undefined = out.find((e) => e.side === 4) && decode(out.find((e) => e.side === 4)!.bytes);
  const port = p?.udp?.sport ?? p?.tcp?.sport ?? p?.icmpv4?.id;
  return p?.ipv4 && port !== undefined ? { address: p.ipv4.src, port } : undefined;
}

/** Random established traffic through a Pair: new flows, data both ways, TCP closes, clock jumps, expiry. */
function traffic(pair: Pair, seed: number, steps: number, pool6 = P): void {
  const rng = makeRng(seed);
  const flows: Flow[] = [];
  const servers = ['198.19.0.1', '198.19.7.9', '100.0.0.10', '203.0.113.5', '192.0.2.33', LAB.pool4[0]];
  const open = (proto: Flow['proto']) => {
    const f: Flow = {
      proto,
      pool6,
      client: `2001:db8:6::${(1 + rng.int(40)).toString(16)}`,
      sport: 1024 + rng.int(3000),
      server: servers[rng.int(servers.length)],
      dport: [53, 80, 443, 5000 + rng.int(100)][rng.int(4)],
      seq: rng.int(2 ** 32),
      ack: rng.int(2 ** 32),
    };
    if (proto !== 'tcp') {
      f.t = mapped(pair.push(6, out6(f, rng, payload(rng, 200)), `${proto} open`));
    } else {
      f.t = mapped(pair.push(6, out6(f, rng, Buffer.alloc(0), { syn: true }), 'tcp syn'));
      if (f.t) {
        pair.push(4, in4(f, rng, Buffer.alloc(0), { syn: true, ack: true }), 'tcp syn-ack');
        pair.push(6, out6(f, rng, Buffer.alloc(0), { ack: true }), 'tcp ack');
      }
    }
    if (f.t) flows.push(f);
  };
  const protos: Flow['proto'][] = ['udp', 'tcp', 'icmp'];
  for (let i = 0; i < 9; i++) open(protos[i % 3]);
  for (let step = 0; step < steps; step++) {
    const r = rng.int(1000);
    if (r < 30) open(protos[rng.int(3)]);
    else if (r < 40) pair.advance(rng.int(400_000)); // past the UDP timeout now and then
    else if (r < 45) pair.expire();
    else if (r < 50 && flows.length) {
      // A TCP close or reset (the pipeline's business), then more data on the flow.
      const f = flows[rng.int(flows.length)];
      if (f.proto === 'tcp') {
        const flags: TCPFlags = rng.int(2) ? { fin: true, ack: true } : { rst: true };
        if (rng.int(2)) pair.push(6, out6(f, rng, Buffer.alloc(0), flags), 'tcp close 6');
        else pair.push(4, in4(f, rng, Buffer.alloc(0), flags), 'tcp close 4');
      }
    } else if (flows.length) {
      const f = flows[rng.int(flows.length)];
      const body = payload(rng, rng.int(4) ? 200 : 1400);
      const edge = rng.int(50) === 0 ? 1 : undefined; // hop limit / TTL 1 now and then
      if (rng.int(2)) pair.push(6, out6(f, rng, body, undefined, edge), `data 6->4 ${f.proto}`);
      else pair.push(4, in4(f, rng, body, undefined, edge), `data 4->6 ${f.proto}`);
      f.seq = (f.seq + body.length) >>> 0;
    }
    if (step % 500 === 0) pair.same(`step ${step}`);
    pair.advance(rng.int(3) ? 0 : rng.int(2000));
  }
  pair.same('end');
  // Expiry after the traffic: everything times out the same way (TCP_EST probes included).
  for (const ms of [300_000, 7_200_000, 240_000, 7_200_000]) {
    pair.advance(ms + 1);
    pair.expire();
    pair.same(`after ${ms} ms`);
  }
}

describe('engine fast path (engine/nat64/fast-path.ts)', () => {
  const configs: [string, Record<string, unknown>][] = [
    ['defaults (EIF)', {}],
    ['the Well-Known Prefix (non-global servers refused)', { pool6: '64:ff9b::/96' }],
    ['a /64 Pref64', { pool6: '2001:db8:64::/64' }],
    ['address-dependent filtering', { filtering: 'address-dependent' }],
    ['trafficClass zero', { trafficClass: 'zero' }],
    ['small MTUs', { mtu: { ipv6: 1300, ipv4: 900, lowestIpv6: 1280 } }],
    ['limits and one pool address', { pool4: ['198.18.0.1'], limits: { sessions: 40, sessionRate: 50 } }],
    ['deterministic mode', { deterministic: { inside: '2001:db8:6::/120', subscriberPrefix: 128, portsPerSubscriber: 64, dynamicBlocks: 8, maxPorts: 128 } }],
  ];
  for (const [name, raw] of configs) {
    it(`emits what the pipeline emits, with the same state and expiry: ${name}`, () => {
      for (const seed of [1, 2, 3]) {
        const pair = new Pair(raw, seed);
        traffic(pair, seed * 7919, 3000, (raw.pool6 as string | undefined) ?? P);
        expect(pair.slow.fastPath, 'disabled').to.equal(undefined);
        expect(pair.fast.fastPath!.hits, 'packets on the fast path').to.be.greaterThan(500);
      }
    });
  }

  it('forgets the flows of sessions that have gone', () => {
    const pair = new Pair({}, 1);
    const rng = makeRng(9);
    const wave = (base: number) => {
      for (let i = 0; i < 3000; i++) {
        const f: Flow = { proto: 'udp', client: `2001:db8:6::${(base + (i >> 8)).toString(16)}`, sport: 2000 + (i & 255), server: '198.19.0.9', dport: 53, seq: 0, ack: 0 };
        f.t = mapped(pair.push(6, out6(f, rng, Buffer.from('a')), 'open'));
        pair.push(6, out6(f, rng, Buffer.from('b')), 'second packet');
        pair.push(4, in4(f, rng, Buffer.from('c')), 'reply');
      }
    };
    wave(0x100);
    expect(pair.fast.fastPath!.cached).to.equal(6000);
    pair.advance(300_001);
    pair.expire();
    expect(pair.fast.sessions()).to.deep.equal([]);
    wave(0x200);
    pair.same('second wave');
    // The sweep at 4096 entries dropped the first wave's: what is left is the second wave's flows.
    expect(pair.fast.fastPath!.cached).to.be.at.most(6000);
  });

  it('is off when any fault is configured', () => {
    const pair = new Pair({ faults: ['udp-no-refresh'] }, 1);
    expect(pair.fast.fastPath).to.equal(undefined);
  });

  describe('leaves to the pipeline', () => {
    const rng = makeRng(5);
    const udp: Flow = { proto: 'udp', client: LAB.client6[0], sport: 4000, server: '198.19.0.1', dport: 53, seq: 0, ack: 0 };
    const tcp: Flow = { proto: 'tcp', client: LAB.client6[1], sport: 4001, server: '198.19.0.2', dport: 80, seq: 1, ack: 1 };
    const ping: Flow = { proto: 'icmp', client: LAB.client6[2], sport: 77, server: '198.19.0.3', dport: 0, seq: 0, ack: 0 };
    let pair: Pair;

    beforeEach(() => {
      pair = new Pair({ mtu: { ipv6: 1500, ipv4: 1000, lowestIpv6: 1280 } }, 1);
      udp.t = mapped(pair.push(6, out6(udp, rng, Buffer.from('hello')), 'udp open'));
      tcp.t = mapped(pair.push(6, out6(tcp, rng, Buffer.alloc(0), { syn: true }), 'syn'));
      pair.push(4, in4(tcp, rng, Buffer.alloc(0), { syn: true, ack: true }), 'syn-ack');
      pair.push(6, out6(tcp, rng, Buffer.alloc(0), { ack: true }), 'ack');
      ping.t = mapped(pair.push(6, out6(ping, rng, Buffer.from('ping')), 'echo request'));
      // Both flows are established and take the fast path.
      const before = pair.fast.fastPath!.hits;
      pair.push(6, out6(udp, rng, Buffer.from('x')), 'udp 6->4');
      pair.push(4, in4(udp, rng, Buffer.from('y')), 'udp 4->6');
      pair.push(6, out6(tcp, rng, Buffer.from('x')), 'tcp 6->4');
      pair.push(4, in4(tcp, rng, Buffer.from('y')), 'tcp 4->6');
      pair.push(6, out6(ping, rng, Buffer.from('x')), 'echo 6->4');
      pair.push(4, in4(ping, rng, Buffer.from('y')), 'echo 4->6');
      expect(pair.fast.fastPath!.hits - before).to.equal(6);
    });

    const v6 = (f: Flow, p: Packet) => encode({ ...p, ipv6: { src: f.client, dst: embed(P, f.server), hopLimit: 64, ...p.ipv6 } });
    const v4 = (f: Flow, p: Packet) => encode({ ...p, ipv4: { src: f.server, dst: f.t!.address, ttl: 64, ...p.ipv4 } });
    const udp6 = { sport: 4000, dport: 53 };
    const udp4 = () => ({ sport: 53, dport: udp.t!.port });
    const cases: [string, 4 | 6, () => Buffer][] = [
      ['an IPv6 fragment', 6, () => v6(udp, { ipv6: { src: udp.client, dst: embed(P, udp.server), extensions: [{ kind: 'fragment', m: true, id: 7 }] }, udp: udp6, payload: Buffer.alloc(16) })],
      ['an IPv6 atomic fragment', 6, () => v6(udp, { ipv6: { src: udp.client, dst: embed(P, udp.server), extensions: [{ kind: 'fragment', id: 7 }] }, udp: udp6, payload: Buffer.alloc(16) })],
      ['a Hop-by-Hop header', 6, () => v6(udp, { ipv6: { src: udp.client, dst: embed(P, udp.server), extensions: [{ kind: 'hop-by-hop' }] }, udp: udp6, payload: Buffer.alloc(16) })],
      ['hop limit 1', 6, () => v6(udp, { ipv6: { src: udp.client, dst: embed(P, udp.server), hopLimit: 1 }, udp: udp6, payload: Buffer.alloc(16) })],
      ['a translation over the IPv4 MTU', 6, () => v6(udp, { ipv6: { src: udp.client, dst: embed(P, udp.server) }, udp: udp6, payload: Buffer.alloc(1000) })],
      ['link-layer padding after the IPv6 packet', 6, () => Buffer.concat([out6(udp, rng, Buffer.from('z')), Buffer.alloc(4)])],
      ['a UDP length that disagrees', 6, () => v6(udp, { ipv6: { src: udp.client, dst: embed(P, udp.server) }, udp: { ...udp6, length: 12 }, payload: Buffer.alloc(16) })],
      ['an unknown session (new flow)', 6, () => out6({ ...udp, dport: 54 }, rng, Buffer.from('new'))],
      ['a flow to our own pool (hairpinning)', 6, () => out6({ ...udp, server: LAB.pool4[1] }, rng, Buffer.from('hp'))],
      ['a TCP SYN', 6, () => out6(tcp, rng, Buffer.alloc(0), { syn: true })],
      ['a TCP FIN', 6, () => out6(tcp, rng, Buffer.alloc(0), { fin: true, ack: true })],
      ['a TCP RST', 4, () => in4(tcp, rng, Buffer.alloc(0), { rst: true })],
      ['an IPv4 fragment', 4, () => v4(udp, { ipv4: { src: udp.server, dst: udp.t!.address, mf: true, id: 9 }, udp: udp4(), payload: Buffer.alloc(16) })],
      ['IPv4 options', 4, () => v4(udp, { ipv4: { src: udp.server, dst: udp.t!.address, options: [{ type: 1 }, { type: 1 }, { type: 1 }, { type: 0 }] }, udp: udp4(), payload: Buffer.alloc(16) })],
      ['TTL 1', 4, () => v4(udp, { ipv4: { src: udp.server, dst: udp.t!.address, ttl: 1 }, udp: udp4(), payload: Buffer.alloc(16) })],
      ['a zero UDP checksum', 4, () => v4(udp, { ipv4: { src: udp.server, dst: udp.t!.address }, udp: { ...udp4(), checksum: 0 }, payload: Buffer.alloc(16) })],
      ['a bad IPv4 header checksum', 4, () => v4(udp, { ipv4: { src: udp.server, dst: udp.t!.address, checksum: 0x1234 }, udp: udp4(), payload: Buffer.alloc(16) })],
      ['DF=0 over lowest-ipv6-mtu', 4, () => v4(udp, { ipv4: { src: udp.server, dst: udp.t!.address, df: false }, udp: udp4(), payload: Buffer.alloc(1300) })],
      ['DF=1 over the IPv6 MTU', 4, () => v4(udp, { ipv4: { src: udp.server, dst: udp.t!.address, df: true }, udp: udp4(), payload: Buffer.alloc(1460) })],
      ['an unknown session (other source port)', 4, () => in4({ ...udp, dport: 99 }, rng, Buffer.from('?'))],
      ['an ICMPv6 echo with a non-zero code', 6, () => v6(ping, { icmpv6: { type: 128, code: 1, id: 77, seq: 1 }, payload: Buffer.alloc(8) })],
      ['an ICMPv6 informational message other than echo', 6, () => v6(ping, { icmpv6: { type: 130, code: 0 }, payload: Buffer.alloc(8) })],
      ['an ICMPv6 echo with an unknown identifier', 6, () => v6(ping, { icmpv6: { type: 128, code: 0, id: 78, seq: 1 }, payload: Buffer.alloc(8) })],
      ['an ICMPv4 error', 4, () => v4(ping, { icmpv4: { type: 3, code: 3, quote: { ipv4: { src: ping.t!.address, dst: ping.server }, udp: { sport: 1, dport: 2 } } } })],
      ['an ICMPv4 timestamp', 4, () => v4(ping, { icmpv4: { type: 13, code: 0 }, payload: Buffer.alloc(12) })],
    ];
    for (const [name, side, make] of cases) {
      it(name, () => {
        const s = pair.fast.fastPath!;
        const hits = s.hits;
        const declined = s.declined;
        pair.push(side, make(), name);
        expect([s.hits - hits, s.declined - declined], 'hits, declined').to.deep.equal([0, 1]);
        pair.same(name);
      });
    }
  });
});
