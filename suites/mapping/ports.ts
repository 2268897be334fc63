/**
 * How the external port t is chosen: range preservation 0-1023 / 1024-65535
 * (RFC 6146 §3.5.1.1, §3.5.2.3, RFC 4787 REQ-3a), parity (RFC 6146
 * §3.5.1.1, RFC 4787 REQ-4, RFC 7857 §8), unpredictability (RFC 7857 §9,
 * RFC 6888 REQ-15, RFC 6056) and the MAY fallback to the other range.
 */
import { LAB } from '../../harness/lab/addressing';
import type { CaseContext, CaseDef, Seen } from '../../harness/runner/case';
import { pool4Addresses } from '../lib/flows';
import { C6A, S4, S4B, S4C, fmt, icmpErrors, outbound, outputs, unpredictability } from './lib';
import type { Mapping, Outbound } from './lib';

/** The configured range of a protocol's ports over the whole pool (engine default 1-65535). */
function configuredRange(t: CaseContext, proto: 'udp' | 'tcp'): { min: number; max: number } {
  const rs = t.config.pool4.map((e) => e.ports?.[proto] ?? { min: 1, max: 65535 });
  return { min: Math.min(...rs.map((r) => r.min)), max: Math.max(...rs.map((r) => r.max)) };
}

const SERVERS = [S4, S4B, S4C];

// ---------------------------------------------------------------- 0-1023

const LOW_SOURCES = {
  udp: [1, 7, 53, 67, 123, 161, 500, 514, 700, 1023],
  tcp: [1, 21, 22, 80, 443, 513, 514, 700, 999, 1023],
};

function lowRangeCase(proto: 'udp' | 'tcp'): CaseDef {
  const ids = proto === 'udp' ? ['6146-3.5.1.1-port-low', '4787-4.2.1-req3a-range'] : ['6146-3.5.2.3-port-low'];
  return {
    id: `port-range-low-${proto}`,
    suite: 'mapping',
    title: `${proto.toUpperCase()} from source ports 0-1023 gets external ports 0-1023 while some are free (RFC 6146 §${proto === 'udp' ? '3.5.1.1' : '3.5.2.3'})`,
    requirements: ids,
    async run(t) {
      const r = configuredRange(t, proto);
      if (r.min > 1023) t.na(`the pool's ${proto.toUpperCase()} ports are ${r.min}-${r.max}: no port of 0-1023 is available, so the rule does not apply`);
      // A fresh translator: all of 0-1023 is free, so the SHOULD applies to every flow.
      for (const [i, x] of LOW_SOURCES[proto].entries()) {
        const o = await outbound(t, proto, { client: C6A, sport: x, server: SERVERS[i % 3], dport: proto === 'udp' ? 9 : 80 });
        t.expect(ids, `source port ${x} → external port in 0-1023`, !!o.map && o.map.port <= 1023, `${x} → ${fmt(o.map)}`, o.out ? [o.out] : []);
      }
    },
  };
}

// ---------------------------------------------------------------- parity

const parityCase: CaseDef = {
  id: 'parity-udp',
  suite: 'mapping',
  title: 'UDP external ports keep the parity of the source port (RFC 6146 §3.5.1.1, RFC 4787 REQ-4)',
  requirements: ['6146-3.5.1.1-parity', '4787-4.2.2-req4-parity', '7857-8-parity-disable', '7857-8-parity-request'],
  async run(t) {
    // Alternating parity (step 13), in both ranges. With parity ignored, each flow keeps it by chance 1/2: 36 flows pass with 2^-36.
    const sources = [100, 101, 1022, 1023, ...Array.from({ length: 32 }, (_, i) => 3000 + 13 * i)];
    const bad: string[] = [];
    const badSeen: Seen[] = [];
    let translated = 0;
    for (const [i, x] of sources.entries()) {
      const o = await outbound(t, 'udp', { client: C6A, sport: x, server: SERVERS[i % 3], dport: 5000 + i });
      if (o.map) translated++;
      if (!o.map || o.map.port % 2 !== x % 2) {
        bad.push(`${x} → ${fmt(o.map)}`);
        if (o.out) badSeen.push(o.out);
      }
    }
    const detail = bad.length ? `${bad.length} of ${sources.length} did not keep parity: ${bad.slice(0, 10).join('; ')}` : `all ${sources.length} mappings kept the parity of the source port`;
    t.expect(['6146-3.5.1.1-parity', '4787-4.2.2-req4-parity'], `${sources.length} UDP mappings, even and odd source ports: t mod 2 = x mod 2`, bad.length === 0, detail, badSeen);
    t.behaviour(
      '7857-8-parity-disable',
      'whether the NAT disables parity preservation for dynamic mappings',
      bad.length === 0 ? `parity kept for all ${sources.length} dynamic mappings (not disabled)` : `parity kept for ${translated - badSeen.length} of ${translated} translated mappings`,
    );
    t.naCheck('7857-8-parity-request', 'an explicit request to keep parity (e.g. the RFC 7753 PCP parity bit) is honoured', 'the lab has no PCP client and the target interface offers no per-mapping parity request');
  },
};

// ---------------------------------------------------------------- 1024-65535 and unpredictability

/** Flows in a sample: enough that a whole-range allocator puts one below 1024 with probability 1 - (64512/65535)^1024 > 1 - 1e-6. */
const SAMPLE = 1024;

/** A sample of fresh mappings from one host: distinct source ports (alternating parity) to distinct destinations. */
async function sample(t: CaseContext, proto: 'udp' | 'tcp'): Promise<{ x: number; o: Outbound }[]> {
  const out: { x: number; o: Outbound }[] = [];
  for (let i = 0; i < SAMPLE; i++) {
    const x = 2000 + 61 * i; // 2000 .. 64403, step 61 (odd): parity alternates
    // A different destination port per flow, so hash-based RFC 6056 algorithms (3, 4) are not mistaken for sequential ones.
    out.push({ x, o: await outbound(t, proto, { client: C6A, sport: x, server: SERVERS[i % 3], dport: 10000 + i }) });
  }
  return out;
}

function sampleCase(proto: 'udp' | 'tcp'): CaseDef {
  const highIds = proto === 'udp' ? ['6146-3.5.1.1-port-high', '4787-4.2.1-req3a-range'] : ['6146-3.5.2.3-port-high'];
  const randIds = ['7857-9-rand-nopreserve', '6888-5-req15-unguessable'];
  const parityIds = proto === 'udp' ? ['7857-9-rand-parity'] : [];
  return {
    id: `allocation-sample-${proto}`,
    suite: 'mapping',
    title: `${SAMPLE} fresh ${proto.toUpperCase()} mappings: ports stay in 1024-65535 and are not predictable (RFC 6146, RFC 7857 §9, RFC 6888 REQ-15)`,
    requirements: [...highIds, ...randIds, ...parityIds, '6146-3-v4pool'],
    async run(t) {
      const cfg = configuredRange(t, proto);
      if (cfg.max < 1024) t.na(`the pool's ${proto.toUpperCase()} ports are ${cfg.min}-${cfg.max}: no port of 1024-65535 is available`);
      const flows = await sample(t, proto);
      const pool = pool4Addresses(t);
      const maps = flows.map((f) => f.o.map);
      const outs = flows.map((f) => f.o.out).filter((s): s is Seen => !!s);
      const missing = flows.filter((f) => !f.o.map).length;

      const low = flows.filter((f) => !f.o.map || f.o.map.port < 1024);
      t.expect(
        highIds,
        `${SAMPLE} mappings from source ports 2000-64403: every t in 1024-65535`,
        low.length === 0,
        low.length ? `${low.length} outside: ${low.slice(0, 10).map((f) => `${f.x} → ${fmt(f.o.map)}`).join('; ')}` : `all in range (lowest t ${Math.min(...maps.map((m) => m!.port))})`,
        low.map((f) => f.o.out).filter((s): s is Seen => !!s).slice(0, 16),
      );
      const foreign = flows.filter((f) => !f.o.map || !pool.includes(f.o.map.addr));
      t.expect('6146-3-v4pool', `every translated packet leaves from a pool4 address (${pool.join(', ')})`, foreign.length === 0,
        foreign.length ? `${foreign.length} not: ${foreign.slice(0, 5).map((f) => fmt(f.o.map)).join('; ')}` : `all ${SAMPLE} from the pool`, foreign.map((f) => f.o.out).filter((s): s is Seen => !!s).slice(0, 16));

      if (missing) {
        t.expect([...randIds, ...parityIds], 'every flow of the sample is translated', false, `${missing} of ${SAMPLE} flows were not translated`);
        return;
      }
      const ports = maps.map((m) => (m as Mapping).port);
      // RFC 7857 §9 / RFC 6056 §4 distinguish NATs that preserve the source port from those that do not.
      const kept = flows.filter((f) => f.o.map!.port === f.x).length;
      const preserving = kept >= SAMPLE / 2;
      const lo = Math.max(1024, cfg.min);
      const rand = unpredictability(ports, lo, cfg.max);
      const evidence = outs.slice(0, 16);
      if (preserving) {
        t.naCheck(randIds, 'ports of a non-preserving NAT are obfuscated', `the target preserves source ports (${kept} of ${SAMPLE} kept), so these rows apply to port changes on collision (see collision-replacement)`);
      } else {
        t.expect(randIds, `the ${SAMPLE} external ports, in allocation order, are not predictable from one another`, rand.ok, `${kept} of ${SAMPLE} kept the source port (no port preservation); ${rand.detail}`, evidence);
      }
      if (parityIds.length) {
        const parityKept = flows.every((f) => f.o.map!.port % 2 === f.x % 2);
        if (preserving) t.naCheck(parityIds, 'parity-preserving port choice is randomised', `the target preserves source ports (${kept} of ${SAMPLE} kept)`);
        else if (!parityKept) t.naCheck(parityIds, 'parity-preserving port choice is randomised', 'the target does not keep port parity (see parity-udp)');
        else {
          // Only the low bit is forced by parity; the remaining 15 bits must be unpredictable.
          const upper = unpredictability(ports.map((p) => p >> 1), lo >> 1, cfg.max >> 1);
          t.expect(parityIds, 'with parity kept, the port without its low bit is not predictable', upper.ok, upper.detail, evidence);
        }
      }
    },
  };
}

// ---------------------------------------------------------------- source-port collisions

/**
 * RFC 7857 §9 / RFC 6056 §4 for colliding source ports: 64 hosts all send
 * from port 6000 to distinct destinations. A port-preserving NAT keeps 6000
 * for the first host and must obfuscate the replacements it picks for the
 * others; a non-preserving NAT changes every port and must obfuscate all of
 * them. Either way the changed ports must pass the unpredictability tests.
 */
const collisionCase: CaseDef = {
  id: 'collision-replacement',
  suite: 'mapping',
  title: '64 hosts from one source port: the external ports the NAT picks are unpredictable (RFC 7857 §9, RFC 6056 §4)',
  requirements: ['7857-9-rand-preserve', '7857-9-rand-nopreserve'],
  async run(t) {
    const x = 6000;
    const ports: number[] = [];
    const seen: Seen[] = [];
    let missing = 0;
    for (let i = 0; i < 64; i++) {
      const client = `2001:db8:6::${(0x100 + i).toString(16)}`;
      const o = await outbound(t, 'udp', { client, sport: x, server: SERVERS[i % 3], dport: 20000 + i });
      if (o.map) ports.push(o.map.port);
      else missing++;
      if (o.out) seen.push(o.out);
    }
    const r = configuredRange(t, 'udp');
    const lo = Math.max(1024, r.min);
    const kept = ports.filter((p) => p === x).length;
    const changed = ports.filter((p) => p !== x);
    const preserving = ports[0] === x;
    const [applies, other] = preserving ? ['7857-9-rand-preserve', '7857-9-rand-nopreserve'] : ['7857-9-rand-nopreserve', '7857-9-rand-preserve'];
    const mode = preserving ? `the target preserves ports (the first host kept ${x})` : `the target does not preserve ports (the first host's ${x} became ${ports[0] ?? 'nothing'})`;
    t.naCheck(other, 'rule for the other kind of NAT', `${mode}; ${kept} of 64 kept ${x}`);
    if (missing) {
      t.expect(applies, 'every host of the collision series is translated', false, `${missing} of 64 flows were not translated`);
      return;
    }
    if (changed.length < 16) {
      t.naCheck(applies, 'ports picked on collision are obfuscated', `only ${changed.length} ports were changed (${kept} hosts kept ${x}); uniqueness is checked by no-overload-*`);
      return;
    }
    const rand = unpredictability(changed, lo, r.max);
    t.expect(applies, `the ${changed.length} ports picked for hosts colliding on source port ${x} are not predictable`, rand.ok, `${mode}; ${rand.detail}`, seen.slice(0, 16));
  },
};

// ---------------------------------------------------------------- fallback to the other range (MAY)

/**
 * RFC 6146 §3.5.1.1 / §3.5.2.3: when no port is free in the source port's
 * range, t MAY come from another range. A pool address whose UDP and TCP
 * ranges are 1020-1100 has four low ports; four flows from low source ports
 * take them, and the fifth shows what the NAT does.
 */
const fallbackCase: CaseDef = {
  id: 'port-fallback',
  suite: 'mapping',
  title: 'Low source port with 0-1023 exhausted: external port from the other range, or drop (RFC 6146 §3.5.1.1 MAY, reported)',
  requirements: ['6146-3.5.1.1-port-fallback'],
  needs: { pool4: [{ address: LAB.pool4[0], ports: { udp: { min: 1020, max: 1100 }, tcp: { min: 1020, max: 1100 } } }] },
  async run(t) {
    for (const proto of ['udp', 'tcp'] as const) {
      const fill: string[] = [];
      for (const x of [600, 601, 602, 603]) fill.push(`${x} → ${fmt((await outbound(t, proto, { client: C6A, sport: x, server: S4, dport: 9 })).map)}`);
      const o = await outbound(t, proto, { client: C6A, sport: 604, server: S4, dport: 9 });
      const errs = icmpErrors(o.ex.out6);
      const what = o.map
        ? o.map.port >= 1024
          ? `got ${fmt(o.map)}, a port from the 1024-65535 range`
          : `got ${fmt(o.map)} (still in 0-1023)`
        : `got no mapping (${errs.length ? `answered with ${errs.join(', ')}` : outputs(o.ex)})`;
      t.behaviour('6146-3.5.1.1-port-fallback', `${proto.toUpperCase()}: with 1020-1023 in use, a flow from source port 604`, `after ${fill.join(', ')}: source port 604 ${what}`, [o.out, ...o.ex.out6].filter((s): s is Seen => !!s));
    }
  },
};

export const portCases: CaseDef[] = [lowRangeCase('udp'), lowRangeCase('tcp'), parityCase, sampleCase('udp'), sampleCase('tcp'), collisionCase, fallbackCase];
