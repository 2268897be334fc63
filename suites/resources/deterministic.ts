/**
 * Deterministic CGN mode (RFC 7422) and the NAT's event log (RFC 6888
 * REQ-11c, REQ-12). In deterministic mode each subscriber (for a NAT64 an
 * IPv6 address or prefix, RFC 7422 §2) owns a precomputed block of external
 * ports; the lab computes the expected block itself from the configuration
 * in force (algorithm A = 0, sequential: subscriber s of the inside range I
 * owns block s, block g on pool4 address floor(g / K) at ports
 * firstPort + (g mod K) * P, K = floor((65536 - firstPort) / P)) and checks
 * the translated packets against it, then asks the target's test function
 * (§2) both ways. Logging rows are read from the target's event log.
 *
 * The lab model is algorithm A = 0, the one the target interface
 * configures; a target running another RFC 7422 algorithm needs its own
 * model here.
 *
 * PCP reservations (7422-2-pcp-range, 6888 REQ-9) stay na: the engine has
 * no PCP server (RFC 6887) and the lab no PCP client.
 */
import type { DeterministicConfig } from '../../engine/api';
import type { CaseContext, CaseDef, Seen } from '../../harness/runner/case';
import { C6A, C6B, S4, S4B } from '../mapping/lib';
import type { Flow, Proto } from './lib';
import { SUITE, fmt, label, open, seenOf } from './lib';

const INSIDE = '2001:db8:6::/120';
const DET = { inside: INSIDE, subscriberPrefix: 128, portsPerSubscriber: 64, firstPort: 1024 };

/** The lab's own model of RFC 7422 §2 algorithm A = 0: the block of an IPv6 address (independent of the target's code). */
export function expectedBlock(d: DeterministicConfig, pool4: string[], v6: string): { address: string; min: number; max: number } | undefined {
  const [base, lenText] = d.inside.split('/');
  const big = (a: string) => {
    const [head, tail = ''] = a.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16)), 0n);
  };
  const len = Number(lenText);
  const a = big(v6);
  if (a >> BigInt(128 - len) !== big(base) >> BigInt(128 - len)) return undefined;
  const s = Number((a >> BigInt(128 - d.subscriberPrefix)) & ((1n << BigInt(d.subscriberPrefix - len)) - 1n));
  const k = Math.floor((65536 - d.firstPort) / d.portsPerSubscriber);
  const min = d.firstPort + (s % k) * d.portsPerSubscriber;
  return { address: pool4[Math.floor(s / k)], min, max: min + d.portsPerSubscriber - 1 };
}

function detConfig(t: CaseContext): DeterministicConfig {
  const d = t.config.deterministic;
  if (!d) t.na('the target did not take the deterministic (RFC 7422) configuration');
  return d;
}

function blockOfClient(t: CaseContext, v6: string) {
  const b = expectedBlock(detConfig(t), t.config.pool4.map((e) => e.address), v6);
  if (!b) throw new Error(`${v6} is outside the inside range`);
  return b;
}

const inBlock = (b: { address: string; min: number; max: number }, f: Flow) => !!f.map && f.map.addr === b.address && f.map.port >= b.min && f.map.port <= b.max;
const showBlock = (b: { address: string; min: number; max: number }) => `${b.address}:${b.min}-${b.max}`;

/** RFC 7422 §2 step 3: every mapping of a subscriber comes from its block; the §2 test function agrees both ways. */
function detPorts(proto: Proto): CaseDef {
  const ids = ['7422-2-det-ports', '7422-2-test-function'];
  const may = proto === 'icmp';
  return {
    id: `deterministic-block-${proto}`,
    suite: SUITE,
    title: `Deterministic mode, 64 ports per /128 subscriber: ${proto === 'icmp' ? 'ICMP identifiers' : `${proto.toUpperCase()} mappings`} of two subscribers come from their precomputed blocks; the test function maps both ways (RFC 7422 §2)`,
    requirements: may ? ['7422-2-icmp-range'] : proto === 'udp' ? [...ids, '7422-2-pcp-range'] : ids,
    needs: { deterministic: DET },
    async run(t) {
      const a = blockOfClient(t, C6A);
      const b = blockOfClient(t, C6B);
      const fa: Flow[] = [];
      for (let i = 0; i < 5; i++) fa.push(await open(t, proto, C6A, proto === 'icmp' ? 100 + i : 40000 + 2 * i, i % 2 ? S4B : S4));
      const fb = [await open(t, proto, C6B, proto === 'icmp' ? 100 : 40000, S4)];
      const show = (l: Flow[]) => l.map((f) => (f.map ? fmt(f.map) : 'not translated')).join(', ');
      const ok = fa.every((f) => inBlock(a, f)) && fb.every((f) => inBlock(b, f));
      const detail = `${C6A} (block ${showBlock(a)}): ${show(fa)}; ${C6B} (block ${showBlock(b)}): ${show(fb)}`;
      const seen = [...fa, ...fb].flatMap((f) => seenOf(f.ex));
      if (may) {
        t.behaviour('7422-2-icmp-range', 'ICMP identifiers come from the subscriber\'s port block', ok ? `yes: ${detail}` : `no: ${detail}`, seen);
        return;
      }
      t.expect('7422-2-det-ports', `each new ${proto.toUpperCase()} mapping takes a port from the subscriber's precomputed block`, ok, detail, seen);
      // §2: "enter an External IP Address + Port Number and receive the corresponding Internal IP Address", and the other way.
      const fwd = await t.deterministicMap({ inside: C6A });
      const back: string[] = [];
      let good = !!fwd && fwd.address === a.address && fwd.min === a.min && fwd.max === a.max;
      for (const f of [...fa, ...fb]) {
        if (!f.map) continue;
        const r = await t.deterministicMap({ address: f.map.addr, port: f.map.port });
        const want = `${f.spec.client}/128`;
        if (r?.subscriber !== want) good = false;
        back.push(`${fmt(f.map)} -> ${r?.subscriber ?? 'none'}`);
      }
      t.expect('7422-2-test-function', 'the test function maps the subscriber to its block and each external port back to its subscriber', good, `forward ${C6A} -> ${fwd ? showBlock(fwd) : 'none'} (lab model ${showBlock(a)}); reverse: ${back.join(', ')}`);
      if (proto === 'udp') t.naCheck('7422-2-pcp-range', 'PCP reservations use the subscriber\'s block', 'the engine implements no PCP server (RFC 6887) and the lab has no PCP client; reported as a gap, not scored');
    },
  };
}

/** RFC 7422 §2: "A subscriber is identified by ... an IPv6 prefix (e.g., DS-Lite or NAT64)". */
const prefixSubscriber: CaseDef = {
  id: 'deterministic-block-prefix',
  suite: SUITE,
  title: 'Deterministic mode with /124 subscribers: two addresses of one /124 share its block, an address of the next /124 uses the next block; the test function names the prefix (RFC 7422 §2)',
  requirements: ['7422-2-det-ports', '7422-2-test-function'],
  needs: { deterministic: { ...DET, subscriberPrefix: 124, portsPerSubscriber: 256 } },
  async run(t) {
    const c = '2001:db8:6::21';
    const a = blockOfClient(t, C6A);
    const b = blockOfClient(t, c);
    const shared = [await open(t, 'udp', C6A, 40000, S4), await open(t, 'udp', C6B, 40000, S4), await open(t, 'udp', C6B, 40002, S4)];
    const other = await open(t, 'udp', c, 40000, S4);
    const show = (l: Flow[]) => l.map((f) => `${label(f)} -> ${f.map ? fmt(f.map) : 'not translated'}`).join('; ');
    t.expect(
      '7422-2-det-ports',
      `${C6A} and ${C6B} (2001:db8:6::10/124) take ports of one block, ${c} (2001:db8:6::20/124) of the next`,
      shared.every((f) => inBlock(a, f)) && inBlock(b, other),
      `blocks ${showBlock(a)} and ${showBlock(b)}: ${show([...shared, other])}`,
      [...shared, other].flatMap((f) => seenOf(f.ex)),
    );
    const back = [];
    for (const f of [...shared, other]) if (f.map) back.push(await t.deterministicMap({ address: f.map.addr, port: f.map.port }));
    const want = ['2001:db8:6::10/124', '2001:db8:6::10/124', '2001:db8:6::10/124', '2001:db8:6::20/124'];
    const got = back.map((r) => r?.subscriber ?? 'none');
    t.expect('7422-2-test-function', 'each external port maps back to its subscriber prefix', got.join() === want.join(), `reverse: ${got.join(', ')} (want ${want.join(', ')})`);
  },
};

const systemPorts: CaseDef = {
  id: 'deterministic-system-ports',
  suite: SUITE,
  title: 'Deterministic mode: source ports 53, 500 and 22 are mapped into the subscriber\'s block above 1023, and a configuration putting system ports in blocks is refused (RFC 7422 §2 step 1)',
  requirements: ['7422-2-system-ports'],
  needs: { deterministic: DET },
  async run(t) {
    const a = blockOfClient(t, C6A);
    const flows = [await open(t, 'udp', C6A, 53, S4), await open(t, 'udp', C6A, 500, S4), await open(t, 'tcp', C6A, 22, S4)];
    const bad = flows.filter((f) => !inBlock(a, f) || f.map!.port < 1024);
    const low = await t.attempt({ deterministic: { ...DET, firstPort: 512 } });
    t.expect(
      '7422-2-system-ports',
      'low source ports get ports of the block (>= 1024); firstPort 512 is refused',
      bad.length === 0 && !low.accepted,
      `block ${showBlock(a)}: ${flows.map((f) => `${label(f)} -> ${f.map ? fmt(f.map) : 'not translated'}`).join('; ')}; firstPort 512: ${low.accepted ? 'accepted' : `refused (${low.reason})`}`,
      flows.flatMap((f) => seenOf(f.ex)),
    );
    t.note('RFC 6146 keeps ports 0-1023 in their range (SHOULD); RFC 7422 takes system ports out of deterministic blocks: in deterministic mode the RFC 7422 rule is the configured behaviour (requirements-summary.md, conflict 12).');
  },
};

const randomPorts: CaseDef = {
  id: 'deterministic-random-ports',
  suite: SUITE,
  title: 'Deterministic mode: eight mappings of one subscriber take ports at random within its block, not in sequence (RFC 7422 §2 step 3)',
  requirements: ['7422-2-random-in-range'],
  needs: { deterministic: DET },
  async run(t) {
    const a = blockOfClient(t, C6A);
    const flows: Flow[] = [];
    for (let i = 0; i < 8; i++) flows.push(await open(t, 'udp', C6A, 41000 + i, S4));
    const ports = flows.map((f) => f.map?.port ?? -1);
    const sequential = ports.every((p, i) => i === 0 || p === ports[i - 1] + 1 || p === ports[i - 1] + 2);
    t.expect(
      '7422-2-random-in-range',
      'ports inside the block, not consecutive',
      flows.every((f) => inBlock(a, f)) && !sequential,
      `block ${showBlock(a)}: ports ${ports.join(', ')}`,
      flows.flatMap((f) => seenOf(f.ex)),
    );
  },
};

const dynamicBlock: CaseDef = {
  id: 'deterministic-dynamic-block',
  suite: SUITE,
  title: 'Deterministic mode with 4-port blocks and a dynamic pool (D = 4, M = 8): the 5th mapping comes from a dynamic block, which is logged with subscriber, address, ports and time (RFC 7422 §2 step 4)',
  requirements: ['7422-2-dynamic-log', '7422-2-det-ports'],
  needs: { deterministic: { ...DET, portsPerSubscriber: 4, dynamicBlocks: 4, maxPorts: 8 } },
  async run(t) {
    const a = blockOfClient(t, C6A);
    const own: Flow[] = [];
    for (let i = 0; i < 4; i++) own.push(await open(t, 'udp', C6A, 40000 + 2 * i, S4));
    t.expect('7422-2-det-ports', 'while the 4-port block has free ports, mappings take them', own.every((f) => inBlock(a, f)), `block ${showBlock(a)}: ${own.map((f) => (f.map ? fmt(f.map) : 'not translated')).join(', ')}`, own.flatMap((f) => seenOf(f.ex)));
    const before = (await t.events()).filter((e) => e.type === 'dynamic-block').length;
    const extra = await open(t, 'udp', C6A, 40010, S4);
    const log = (await t.events()).filter((e) => e.type === 'dynamic-block');
    const m = extra.map;
    const entry = m && log.find((e) => e.fields.subscriber === `${C6A}/128` && e.fields.outsideAddress === m.addr && Number(e.fields.portMin) <= m.port && m.port <= Number(e.fields.portMax) && e.time > 0);
    t.expect(
      '7422-2-dynamic-log',
      'the 5th mapping comes from outside the block, and its dynamic block is logged (subscriber, address, port range, time)',
      !!m && !inBlock(a, extra) && before === 0 && !!entry,
      `${label(extra)} -> ${m ? fmt(m) : 'not translated'}; dynamic-block entries before: ${before}, after: ${log.map((e) => e.text).join(' | ') || 'none'}`,
      seenOf(extra.ex),
    );
  },
};

const DAY_MS = 86_400_000;

const configRecord: CaseDef = {
  id: 'deterministic-config-record',
  suite: SUITE,
  title: 'Deterministic mode: the configuration in force is logged when it takes effect and again a day later, with timestamp, I and mask, O and mask, D, M, A and R (RFC 7422 §3)',
  requirements: ['7422-3-config-record', '7422-3-config-log', '7422-3-log-fields'],
  needs: { deterministic: { ...DET, dynamicBlocks: 2, maxPorts: 128 } },
  async run(t) {
    const d = detConfig(t);
    // A configuration changes on this target only by taking a new one (each case opens a session with its own); the record must describe the one in force.
    t.note('the check reads the record of the configuration the session was opened with; a change of configuration is a new session with a new record');
    const first = (await t.events()).filter((e) => e.type === 'deterministic-config');
    t.expect('7422-3-config-record', 'a record of the deterministic configuration exists when it takes effect', first.length > 0, first.map((e) => e.text).join(' | ') || 'no deterministic-config record in the event log');
    const rec = first[0];
    const f = rec?.fields ?? {};
    const [ins, insLen] = d.inside.split('/');
    const pool = t.config.pool4.map((e) => e.address);
    const o = String(f.outsidePrefix ?? '');
    const oMask = Number(f.outsideMask);
    const ipn = (s: string) => s.split('.').reduce((n, x) => n * 256 + Number(x), 0);
    const covers = o !== '' && oMask >= 0 && oMask <= 32 && pool.every((p) => Math.floor(ipn(p) / 2 ** (32 - oMask)) === Math.floor(ipn(o) / 2 ** (32 - oMask)));
    const want: [string, boolean][] = [
      ['timestamp', !!rec && rec.time > 0],
      [`I ${ins}`, f.insidePrefix === ins],
      [`inside mask ${insLen}`, Number(f.insideMask) === Number(insLen)],
      [`O/mask covering ${pool.join(',')}`, covers],
      [`D ${d.dynamicBlocks}`, f.D !== undefined && Number(f.D) === d.dynamicBlocks],
      [`M ${d.maxPorts}`, f.M !== undefined && Number(f.M) === d.maxPorts],
      ['A', f.A !== undefined],
      [`R 0-${d.firstPort - 1}`, typeof f.R === 'string' && f.R.includes(`0-${d.firstPort - 1}`)],
    ];
    const missing = want.filter(([, ok]) => !ok).map(([n]) => n);
    t.expect('7422-3-log-fields', 'the record carries timestamp, I, inside mask, O, outside mask, D, M, A, R', !!rec && missing.length === 0, rec ? (missing.length ? `missing or wrong: ${missing.join(', ')}; record: ${rec.text}` : rec.text) : 'no record');
    await t.elapse(DAY_MS + 1000);
    const later = (await t.events()).filter((e) => e.type === 'deterministic-config');
    const daily = later.filter((e) => rec && e.time >= rec.time + DAY_MS);
    t.expect('7422-3-config-log', 'a log message at configuration time and again once a day', first.length > 0 && daily.length > 0, `${later.length} records: ${later.map((e) => new Date(e.time).toISOString()).join(', ')}`);
  },
};

/** RFC 6888 REQ-12: what the NAT logs about mappings names no destination. */
const noDestinationLog: CaseDef = {
  id: 'log-no-destination',
  suite: SUITE,
  title: 'Mapping log: the entries for a UDP and a TCP flow to 198.18.100.10 port 7777 name neither that address nor that port (RFC 6888 REQ-12)',
  requirements: ['6888-4-req12-no-dst-log'],
  async run(t) {
    const flows = [await open(t, 'udp', C6A, 40000, S4, 7777), await open(t, 'tcp', C6A, 40002, S4, 7777)];
    const ev = await t.events();
    const leaks = ev.filter((e) => Object.values(e.fields).some((v) => v === S4 || v === 7777 || v === '7777') || e.text.includes(S4) || /\b7777\b/.test(e.text));
    const created = ev.filter((e) => e.type === 'mapping-created');
    t.expect(
      '6888-4-req12-no-dst-log',
      `no log entry carries the destination ${S4}:7777`,
      leaks.length === 0,
      `${ev.length} entries (${created.length} mapping-created)${leaks.length ? `; with the destination: ${leaks.map((e) => e.text).join(' | ')}` : ''}`,
      flows.flatMap((f) => seenOf(f.ex)),
    );
    if (created.length === 0) t.note('the target logged no mapping creation at all for these flows');
  },
};

/** RFC 6888 REQ-11c: a refused mapping produces a notification toward management. */
const refusalNotified: CaseDef = {
  id: 'limit-notify',
  suite: SUITE,
  title: 'A subscriber limited to 1 UDP port: its 2nd mapping is refused and a notification naming the subscriber is logged; the 1st mapping draws none (RFC 6888 REQ-11c)',
  requirements: ['6888-3-req11c-notify'],
  needs: { limits: { subscriberPrefix: 128, ports: { udp: 1 } } },
  async run(t) {
    const ok = await open(t, 'udp', C6A, 40000, S4);
    const early = (await t.events()).filter((e) => e.type === 'mapping-refused');
    const refused = await open(t, 'udp', C6A, 40002, S4);
    const notes = (await t.events()).filter((e) => e.type === 'mapping-refused' && e.fields.insideAddress === C6A);
    const seen: Seen[] = [...seenOf(ok.ex), ...seenOf(refused.ex)];
    t.expect(
      '6888-3-req11c-notify',
      `${C6A}'s 2nd UDP mapping is refused and notified; its 1st is not`,
      !!ok.map && !refused.map && early.length === 0 && notes.length === 1,
      `1st: ${ok.map ? fmt(ok.map) : 'not translated'}; 2nd: ${refused.map ? `translated from ${fmt(refused.map)}` : 'refused'}; notifications: ${notes.map((e) => e.text).join(' | ') || 'none'}`,
      seen,
    );
  },
};

export const deterministicCases: CaseDef[] = [detPorts('udp'), detPorts('tcp'), detPorts('icmp'), prefixSubscriber, systemPorts, randomPorts, dynamicBlock, configRecord, noDestinationLog, refusalNotified];
