/**
 * A target's behaviour card: how it maps, filters, allocates ports, pools
 * addresses, hairpins, handles fragments and DF, where its ICMP errors come
 * from and which timers it runs with — read off the checks of a run.
 *
 * Every line is derived from check results (requirement ids of the mapping,
 * filtering, hairpinning, fragments, icmp-error, header-translation and udp
 * suites, their details and the packets they cite) or, for timers, from the
 * configuration the target reported. Where no check observed the behaviour
 * (not run, na, harness error) the line says "not observed": a card never
 * fills a gap with a likely answer.
 */
import type { CaseResult, CheckResult, RunResult } from '../results/types';

export const NOT_OBSERVED = 'not observed';

export interface EvidenceRef {
  /** Index into run.cases. */
  caseIndex: number;
  /** The check, counted from 1 within the case (as the report numbers them). */
  check: number;
}

export interface BehaviourLine {
  key: string;
  title: string;
  value: string;
  observed: boolean;
  evidence: EvidenceRef[];
}

interface Hit {
  c: CaseResult;
  k: CheckResult;
  ref: EvidenceRef;
}

/** What an item found: a value and the checks it rests on, or nothing seen. */
type Finding = { value: string; evidence: Hit[] } | undefined;

const OBSERVED_SCORES = new Set(['pass', 'fail', 'warn', 'behaviour']);

function hits(run: RunResult, ids: string[]): Hit[] {
  const out: Hit[] = [];
  run.cases.forEach((c, caseIndex) =>
    c.checks.forEach((k, i) => {
      if (ids.includes(k.requirement) && OBSERVED_SCORES.has(k.score)) out.push({ c, k, ref: { caseIndex, check: i + 1 } });
    }),
  );
  return out;
}

const failed = (h: Hit): boolean => h.k.verdict === 'fail';

function short(s: string, max = 160): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function join(parts: (string | undefined)[]): string {
  return parts.filter((p): p is string => !!p).join(' · ');
}

// ---------------------------------------------------------------------------
// Mapping (RFC 4787 §4.1)

const EIM_IDS = ['6146-5.2-eim', '4787-4.1-req1-eim', '5382-4.1-req1-eim'];
const PROTOS = ['udp', 'tcp', 'icmp'] as const;

/**
 * Classify a failed EIM check from its "destination → (T,t)" list: one
 * address reached from two ports with two mappings is port-dependent; equal
 * mappings per address but different across addresses is address-dependent.
 */
export function mappingKind(detail: string): string {
  const byAddr = new Map<string, { ports: number; maps: Set<string> }>();
  for (const part of detail.split(/;\s*/)) {
    const m = /^\s*(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?\s*→\s*(.+?)\s*$/.exec(part);
    if (!m) continue;
    if (!/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(m[3])) return 'not EIM (some flows were not translated)';
    const e = byAddr.get(m[1]) ?? { ports: 0, maps: new Set<string>() };
    e.ports++;
    e.maps.add(m[3]);
    byAddr.set(m[1], e);
  }
  const all = new Set([...byAddr.values()].flatMap((e) => [...e.maps]));
  if (byAddr.size === 0) return 'not EIM (kind not determined)';
  if (all.size <= 1) return 'EIM';
  if ([...byAddr.values()].some((e) => e.maps.size > 1)) return 'APDM';
  if ([...byAddr.values()].some((e) => e.ports > 1)) return 'ADM';
  return 'not EIM (ADM or APDM; these probes do not tell which)';
}

function mapping(run: RunResult): Finding {
  const all = hits(run, EIM_IDS).filter((h) => h.c.suite === 'mapping');
  const kinds: { proto: string; kind: string }[] = [];
  const evidence: Hit[] = [];
  for (const proto of PROTOS) {
    const hs = all.filter((h) => h.c.id === `eim-${proto}`);
    if (!hs.length) continue;
    const bad = hs.find(failed);
    kinds.push({ proto: proto.toUpperCase(), kind: bad ? mappingKind(bad.k.detail) : 'EIM' });
    evidence.push(bad ?? hs[0]);
  }
  if (!kinds.length) return undefined;
  const distinct = new Set(kinds.map((k) => k.kind));
  const seen = kinds.map((k) => k.proto);
  const missing = PROTOS.map((p) => p.toUpperCase()).filter((p) => !seen.includes(p));
  const value = distinct.size === 1 ? `${kinds[0].kind} (${seen.join(', ')})` : kinds.map((k) => `${k.proto} ${k.kind}`).join(', ');
  return { value: missing.length ? `${value}; ${missing.join(', ')} ${NOT_OBSERVED}` : value, evidence };
}

// ---------------------------------------------------------------------------
// Filtering (RFC 4787 §5)

const FILTER_ABBR: Record<string, string> = {
  'endpoint-independent': 'EIF',
  'address-dependent': 'ADF',
  'address-and-port-dependent': 'APDF',
  none: 'nothing delivered, not even replies',
  inconsistent: 'inconsistent (a new address got in where a new port did not)',
};

/** The classification at the end of a filtering probe's detail ("… → address-dependent"). */
export function filteringKind(detail: string): string | undefined {
  const m = /→\s*([a-z-]+)\s*$/.exec(detail);
  return m ? FILTER_ABBR[m[1]] ?? m[1] : undefined;
}

function configuredFiltering(run: RunResult, c?: CaseResult): string | undefined {
  const v = c?.config?.filtering ?? run.target.config?.filtering;
  return typeof v === 'string' ? v : undefined;
}

function filtering(run: RunResult): Finding {
  const plan = [
    { proto: 'UDP', ids: ['4787-5-req8-filtering', '6888-3-req7-eif'] },
    { proto: 'TCP', ids: ['5382-4.3-req3-filtering'] },
  ];
  const kinds: { proto: string; kind: string }[] = [];
  const evidence: Hit[] = [];
  let configured: string | undefined;
  for (const p of plan) {
    const h = hits(run, p.ids).find((x) => filteringKind(x.k.detail));
    if (!h) continue;
    kinds.push({ proto: p.proto, kind: filteringKind(h.k.detail)! });
    evidence.push(h);
    configured ??= configuredFiltering(run, h.c);
  }
  if (!kinds.length) return undefined;
  const same = new Set(kinds.map((k) => k.kind)).size === 1;
  const value = same ? `${kinds[0].kind} (${kinds.map((k) => k.proto).join(', ')})` : kinds.map((k) => `${k.proto} ${k.kind}`).join(', ');
  return { value: configured ? `${value}; configured ${configured}` : value, evidence };
}

/** Whether the filtering settings the target accepts do what they say (RFC 4787 REQ-8a, RFC 5382 REQ-3a). */
function filteringSettings(run: RunResult): Finding {
  const hs = hits(run, ['4787-5-req8a-config', '5382-4.3-req3a-config']);
  if (!hs.length) return undefined;
  const parts: string[] = [];
  const evidence: Hit[] = [];
  for (const h of hs) {
    const proto = h.k.requirement.startsWith('5382') ? 'TCP' : 'UDP';
    const set = /configured ([a-z-]+)/.exec(h.k.label)?.[1];
    const got = filteringKind(h.k.detail);
    if (!set || !got) continue;
    const want = FILTER_ABBR[set] ?? set;
    const honoured = /filters accordingly/.test(h.k.detail) && !/does NOT/.test(h.k.detail);
    parts.push(honoured ? `${proto} ${want} ✓` : `${proto} set to ${want} behaves ${got}`);
    evidence.push(h);
  }
  return parts.length ? { value: parts.join(', '), evidence } : undefined;
}

// ---------------------------------------------------------------------------
// Ports

function portPreservation(run: RunResult): Finding {
  // The allocation sample reports how many of its flows kept their source port, whichever rule then applies.
  const all = run.cases.flatMap((c, caseIndex) =>
    c.checks.map((k, i) => ({ c, k, ref: { caseIndex, check: i + 1 } })).filter((h) => ['7857-9-rand-nopreserve', '7857-9-rand-preserve'].includes(h.k.requirement)),
  );
  for (const h of all) {
    const m = /(\d+) of (\d+) kept the source port/.exec(h.k.detail) ?? /preserves source ports \((\d+) of (\d+) kept\)/.exec(h.k.detail);
    if (!m) continue;
    const kept = Number(m[1]);
    const total = Number(m[2]);
    return { value: `${kept * 2 >= total ? 'yes' : 'no'} (${kept} of ${total} fresh mappings kept their source port)`, evidence: [h] };
  }
  return undefined;
}

function portRange(run: RunResult): Finding {
  const hs = hits(run, ['6146-3.5.1.1-port-low', '6146-3.5.1.1-port-high', '6146-3.5.2.3-port-low', '6146-3.5.2.3-port-high', '4787-4.2.1-req3a-range']);
  if (!hs.length) return undefined;
  const bad = hs.find(failed);
  if (bad) return { value: `not kept: ${short(`${bad.k.label}: ${bad.k.detail}`)}`, evidence: [bad] };
  return { value: 'kept: 0-1023 → 0-1023, 1024-65535 → 1024-65535', evidence: [hs[0]] };
}

function parity(run: RunResult): Finding {
  const hs = hits(run, ['6146-3.5.1.1-parity', '4787-4.2.2-req4-parity']);
  if (!hs.length) return undefined;
  const bad = hs.find(failed);
  if (bad) return { value: `not kept: ${short(bad.k.detail, 100)}`, evidence: [bad] };
  return { value: `kept (UDP: ${short(hs[0].k.detail, 100)})`, evidence: [hs[0]] };
}

function pooling(run: RunResult): Finding {
  const hs = hits(run, ['6146-3.5.1.1-paired', '4787-4.1-req2-paired', '6146-3.5.2.3-paired', '6888-3-req2-paired-default']);
  if (!hs.length) return undefined;
  const bad = hs.find(failed);
  if (bad) return { value: `arbitrary: ${short(`${bad.k.label}: ${bad.k.detail}`)}`, evidence: [bad] };
  const protocols = hs.some((h) => h.k.requirement === '6888-3-req2-paired-default') ? 'UDP, TCP and ICMP' : 'UDP';
  return { value: `paired: all mappings of one IPv6 host use one IPv4 address (${protocols})`, evidence: [hs[0]] };
}

// ---------------------------------------------------------------------------
// Hairpinning

function hairpinning(run: RunResult): Finding {
  const parts: string[] = [];
  const evidence: Hit[] = [];
  for (const p of [
    { proto: 'UDP', ids: ['6146-3.8-hairpin-udp', '4787-6-req9-hairpin'] },
    { proto: 'TCP', ids: ['6146-3.8-hairpin-tcp', '5382-7.2-req8-hairpin'] },
  ]) {
    const hs = hits(run, p.ids);
    if (!hs.length) continue;
    const bad = hs.find(failed);
    const dropped = bad && /no packet came out|failed at: SYN/.test(bad.k.detail);
    parts.push(!bad ? `${p.proto} yes` : dropped ? `${p.proto} no (dropped)` : `${p.proto} broken (${short(bad.k.detail, 80)})`);
    evidence.push(bad ?? hs[0]);
  }
  const src = hits(run, ['4787-6-req9a-ext-src', '5382-7.2-req8a-ext-src']);
  // A source check that saw no packet says nothing about the source: the delivery line already tells.
  const srcSeen = src.filter((h) => !/no packet came out/.test(h.k.detail));
  if (srcSeen.length) {
    const bad = srcSeen.find(failed);
    parts.push(bad ? `source not the external address (${short(bad.k.detail, 80)})` : 'source: the sender\'s external address [Pref64::T]:t');
    evidence.push(bad ?? srcSeen[0]);
  }
  return parts.length ? { value: parts.join('; '), evidence } : undefined;
}

// ---------------------------------------------------------------------------
// Fragments and DF

function fragments(run: RunResult): Finding {
  const parts: string[] = [];
  const evidence: Hit[] = [];
  // Fragments sent through a hairpin also fail when hairpinning does; the hairpinning line tells that story.
  const re = hits(run, ['6146-3.4-frag-support', '6146-3.4-frag-out-of-order', '4787-11-req14-ooo']).filter((h) => !/hairpin/.test(h.c.id));
  if (re.length) {
    const bad = re.find(failed);
    parts.push(bad ? `not put back together correctly (${short(bad.k.detail, 80)})` : 'reassembled, in and out of order');
    evidence.push(bad ?? re[0]);
  }
  const qs = hits(run, ['6146-3.4-frag-queue-or-stream'])[0];
  if (qs) {
    const dirs = [...qs.k.detail.matchAll(/(IPv[46] -> IPv[46]): (queue|stream|nothing)/g)].map((m) => ({ dir: m[1].replace(' -> ', '→'), how: m[2] }));
    const how = new Set(dirs.map((d) => d.how));
    const word = (w: string) => (w === 'queue' ? 'queued until whole' : w === 'stream' ? 'translated as they arrive' : 'nothing left');
    if (dirs.length && how.size === 1) parts.push(`${word(dirs[0].how)} (${dirs.map((d) => d.dir).join(', ')})`);
    else if (dirs.length) parts.push(dirs.map((d) => `${d.dir} ${word(d.how)}`).join(', '));
    evidence.push(qs);
  }
  const icmp = hits(run, ['7915-1.2-frag-icmp']);
  if (icmp.length) {
    const no = icmp.find((h) => !/^translated/.test(h.k.detail));
    parts.push(no ? 'fragmented ICMP not translated' : 'fragmented ICMP translated');
    evidence.push(no ?? icmp[0]);
  }
  return parts.length ? { value: join(parts), evidence } : undefined;
}

function dfPolicy(run: RunResult): Finding {
  const parts: string[] = [];
  const evidence: Hit[] = [];
  const rule = hits(run, ['7915-5-df-rule']);
  if (rule.length) {
    const bad = rule.find(failed);
    parts.push(bad ? `IPv6→IPv4 not the 1260-octet rule (${short(`${bad.k.label}: ${bad.k.detail}`, 100)})` : 'IPv6→IPv4: DF set above 1260 octets, clear at or below');
    evidence.push(bad ?? rule[0]);
  }
  const fit = hits(run, ['7915-4-df0-fit-1280']);
  if (fit.length) {
    const bad = fit.find(failed);
    parts.push(bad ? `IPv4 DF=0 over 1280 octets: ${short(bad.k.detail, 80)}` : 'IPv4 DF=0 over 1280 octets: fragmented to 1280');
    evidence.push(bad ?? fit[0]);
  }
  const atomic = hits(run, ['7915-4-df0-no-atomic']);
  if (atomic.length) {
    const bad = atomic.find(failed);
    parts.push(bad ? 'atomic fragments sent' : 'no atomic fragments');
    evidence.push(bad ?? atomic[0]);
  }
  const ptb = hits(run, ['7915-4.1-df1-frag-needed', '5508-7.1.1-df-ptb']);
  if (ptb.length) {
    const bad = ptb.find(failed);
    parts.push(bad ? `IPv4 DF=1 too big: ${short(bad.k.detail, 80)}` : 'IPv4 DF=1 too big: Fragmentation Needed');
    evidence.push(bad ?? ptb[0]);
  }
  return parts.length ? { value: join(parts), evidence } : undefined;
}

// ---------------------------------------------------------------------------
// ICMP error source

/** Source of the ICMP error a check cites, and how it relates to the packet it quotes. */
function errorSource(h: Hit, side: 4 | 6): string | undefined {
  const fam = side === 6 ? 'IPv6' : 'IPv4';
  for (const idx of h.k.packets ?? []) {
    const p = h.c.evidence.find((e) => e.index === idx);
    if (!p || p.direction !== 'received' || p.side !== side) continue;
    const outer = new RegExp(`^${fam} (\\S+) → (\\S+) ICMPv${side}`).exec(p.summary);
    if (!outer) continue;
    const quote = new RegExp(`\\[quote: ${fam} (\\S+) → (\\S+)`).exec(p.summary);
    if (quote && quote[2] === outer[1]) {
      // The relation, not the address: addresses differ between runs where the behaviour does not.
      return side === 6 ? "the expired packet's destination [Pref64::IPv4]" : 'the pool address the expired packet was sent to';
    }
    return outer[1];
  }
  return undefined;
}

function icmpSource(run: RunResult): Finding {
  const parts: string[] = [];
  const evidence: Hit[] = [];
  for (const d of [
    { side: 6 as const, ids: ['7915-5.1-hlim-expired', '5508-7.2-time-exceeded'], to: 'toward IPv6' },
    { side: 4 as const, ids: ['7915-4.1-ttl-expired', '5508-7.2-time-exceeded'], to: 'toward IPv4' },
  ]) {
    for (const h of hits(run, d.ids)) {
      const src = errorSource(h, d.side);
      if (!src) continue;
      parts.push(`${d.to}: ${src}`);
      evidence.push(h);
      break;
    }
  }
  return parts.length ? { value: parts.join('; '), evidence } : undefined;
}

// ---------------------------------------------------------------------------
// Timers and refresh

const TIMER_NAMES: [string, string][] = [
  ['udp', 'UDP'],
  ['tcpEstablished', 'TCP established'],
  ['tcpTransitory', 'TCP transitory'],
  ['tcpInit', 'TCP init'],
  ['tcpIncomingSyn', 'incoming SYN'],
  ['icmp', 'ICMP'],
  ['fragment', 'fragment'],
];

function timersText(t: unknown): string | undefined {
  if (typeof t !== 'object' || t === null) return undefined;
  const rec = t as Record<string, unknown>;
  const known = TIMER_NAMES.filter(([k]) => typeof rec[k] === 'number').map(([k, name]) => `${name} ${rec[k]} s`);
  const other = Object.keys(rec)
    .filter((k) => typeof rec[k] === 'number' && !TIMER_NAMES.some(([n]) => n === k))
    .map((k) => `${k} ${rec[k]} s`);
  const all = [...known, ...other];
  return all.length ? all.join(', ') : undefined;
}

/** Timers as the target reported its configuration, else as the first case that ran with explicit timers. */
function timers(run: RunResult): Finding {
  const fromTarget = timersText(run.target.config?.timeouts);
  if (fromTarget) return { value: fromTarget, evidence: [] };
  for (const c of run.cases) {
    const v = timersText(c.config?.timeouts);
    if (v) return { value: `${v} (as case ${c.suite}/${c.id} ran)`, evidence: [] };
  }
  return undefined;
}

function refresh(run: RunResult): Finding {
  const parts: string[] = [];
  const evidence: Hit[] = [];
  const out = hits(run, ['6146-3.5.1-refresh', '4787-4.3-req6-outbound-refresh']);
  if (out.length) {
    const bad = out.find(failed);
    parts.push(bad ? 'outbound packets do not refresh' : 'outbound packets refresh');
    evidence.push(bad ?? out[0]);
  }
  const inb = hits(run, ['4787-4.3-req6a-inbound-refresh'])[0];
  if (inb && /extends the session|does not extend the session/.test(inb.k.detail)) {
    parts.push(/does not extend/.test(inb.k.detail) ? 'inbound packets do not' : 'inbound packets refresh too');
    evidence.push(inb);
  }
  return parts.length ? { value: `UDP: ${parts.join(', ')}`, evidence } : undefined;
}

// ---------------------------------------------------------------------------

export const BEHAVIOUR_ITEMS: { key: string; title: string; find: (run: RunResult) => Finding }[] = [
  { key: 'mapping', title: 'Mapping (RFC 4787 §4.1)', find: mapping },
  { key: 'filtering', title: 'Filtering (RFC 4787 §5, RFC 5382 REQ-3)', find: filtering },
  { key: 'filtering-settings', title: 'Filtering settings honoured', find: filteringSettings },
  { key: 'port-preservation', title: 'Port preservation', find: portPreservation },
  { key: 'port-range', title: 'Port range (0-1023 / 1024-65535)', find: portRange },
  { key: 'parity', title: 'Port parity', find: parity },
  { key: 'pooling', title: 'Address pooling', find: pooling },
  { key: 'hairpinning', title: 'Hairpinning', find: hairpinning },
  { key: 'fragments', title: 'Fragment handling', find: fragments },
  { key: 'df', title: 'DF policy', find: dfPolicy },
  { key: 'icmp-source', title: 'Source of ICMP errors it originates', find: icmpSource },
  { key: 'timers', title: 'Timers (as configured)', find: timers },
  { key: 'refresh', title: 'Session refresh', find: refresh },
];

export function behaviourCard(run: RunResult): BehaviourLine[] {
  return BEHAVIOUR_ITEMS.map(({ key, title, find }) => {
    const f = find(run);
    if (!f) return { key, title, value: NOT_OBSERVED, observed: false, evidence: [] };
    return { key, title, value: f.value, observed: true, evidence: f.evidence.map((h) => h.ref) };
  });
}
