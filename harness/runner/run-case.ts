/**
 * Runs one case against one target: opens a session with the case's needs,
 * lets the case send and check, and returns the case result with every
 * packet as evidence. Harness failures become `error`, unmet preconditions
 * `na`; a requirement the case declared but never checked is an error of the
 * case itself, so a case cannot silently pass by not looking.
 */
import { levelClass, requirement } from '../catalogue';
import { decode, encode } from '../packet/codec';
import { compare, formatMismatches } from '../packet/compare';
import type { Expectation } from '../packet/compare';
import { dissect, summary } from '../packet/dissect';
import type { Packet, Side } from '../packet/types';
import { ConfigRefused, NotApplicable } from '../lab/target';
import type { Captured, EffectiveConfig, LabSession, Target, TargetNeeds } from '../lab/target';
import type { CaseResult, CheckResult, EvidencePacket, Level, Score, Verdict } from '../results/types';
import type { CaseContext, CaseDef, Exchange, Seen } from './case';

export interface RunCaseOptions {
  /** Quiet period that ends a collection on real targets. */
  quietMs?: number;
  maxMs?: number;
  /** The soak tier: real waits of any length are allowed. */
  soak?: boolean;
  /** Longest real wait allowed outside the soak tier (default 10 s). */
  realWaitLimitMs?: number;
  /** Skip dissecting the evidence (the kill matrix needs verdicts only; dissection dominates its run time). */
  verdictsOnly?: boolean;
}

export function scoreOf(level: Level, verdict: Verdict): Score {
  if (verdict !== 'pass' && verdict !== 'fail') return verdict;
  const cls = levelClass(level);
  if (cls === 'may') return 'behaviour';
  if (verdict === 'pass') return 'pass';
  return cls === 'must' ? 'fail' : 'warn';
}

const VERDICT_ORDER: Verdict[] = ['error', 'fail', 'pass', 'na', 'skip'];

/** The case verdict: the worst of its checks (error > fail > pass > na > skip). */
export function caseVerdict(checks: CheckResult[]): Verdict {
  for (const v of VERDICT_ORDER) if (checks.some((c) => c.verdict === v)) return v;
  return 'skip';
}

class Recorder implements CaseContext {
  readonly seen: Seen[] = [];
  readonly checks: CheckResult[] = [];
  readonly notes: string[] = [];

  constructor(
    private readonly def: CaseDef,
    private readonly session: LabSession,
    private readonly opts: RunCaseOptions,
    private readonly target: Target,
  ) {}

  get config() {
    return this.session.config;
  }

  private record(side: Side, direction: Seen['direction'], bytes: Buffer, timeUs: number, packet?: Packet): Seen {
    const s: Seen = { index: this.seen.length, side, direction, bytes, packet: packet ?? decode(bytes), timeUs };
    this.seen.push(s);
    return s;
  }

  private received(captured: Captured[]): Exchange {
    const ex: Exchange = { out4: [], out6: [] };
    for (const c of captured) {
      const s = this.record(c.side, 'received', c.bytes, c.timeUs);
      (c.side === 4 ? ex.out4 : ex.out6).push(s);
    }
    return ex;
  }

  async send(side: Side, packet: Packet | Buffer): Promise<Exchange> {
    const bytes = Buffer.isBuffer(packet) ? packet : encode(packet);
    const sent = this.record(side, 'sent', bytes, this.session.nowUs());
    await this.session.send(side, bytes);
    const ex = this.received(await this.session.collect({ quietMs: this.opts.quietMs, maxMs: this.opts.maxMs }));
    ex.sent = sent;
    return ex;
  }

  async advance(ms: number): Promise<Exchange> {
    if (!this.session.advance) this.na('the target has no controllable clock');
    const out = await this.session.advance(ms);
    return this.received(out);
  }

  async elapse(ms: number): Promise<Exchange> {
    if (this.session.advance) {
      this.note(`${ms / 1000} s passed on the target's virtual clock`);
      return this.received(await this.session.advance(ms));
    }
    const limit = this.opts.soak ? Infinity : (this.opts.realWaitLimitMs ?? 10_000);
    if (ms > limit) this.na(`needs ${ms / 1000} s of real time on a target without a controllable clock; run with --soak`);
    this.note(`waited ${ms / 1000} s of real time (the target's clock cannot be controlled)`);
    await new Promise((r) => setTimeout(r, ms));
    return this.received(await this.session.collect({ quietMs: this.opts.quietMs, maxMs: this.opts.maxMs }));
  }

  async attempt(needs: TargetNeeds): Promise<{ accepted: true; config: EffectiveConfig } | { accepted: false; reason: string }> {
    try {
      if (this.target.validate) return { accepted: true, config: await this.target.validate(needs) };
      const s = await this.target.open(needs);
      const config = s.config;
      await s.close();
      return { accepted: true, config };
    } catch (err) {
      if (err instanceof ConfigRefused) return { accepted: false, reason: err.message };
      throw err;
    }
  }

  async state() {
    if (!this.session.state) this.na('the target cannot show its BIB and session tables');
    return this.session.state();
  }

  async events() {
    if (!this.session.events) this.na('the lab cannot read the target\'s event log');
    return this.session.events();
  }

  async deterministicMap(q: { inside: string } | { address: string; port: number }) {
    if (!this.session.deterministicMap) this.na('the target offers no RFC 7422 test function (no deterministic mode)');
    return this.session.deterministicMap(q);
  }

  private add(ids: string | string[], verdict: Verdict, label: string, detail: string, extra: Partial<CheckResult> = {}): void {
    for (const id of Array.isArray(ids) ? ids : [ids]) {
      if (!this.def.requirements.includes(id)) {
        throw new Error(`case ${this.def.suite}/${this.def.id} checks ${id} but does not declare it in requirements`);
      }
      const level = requirement(id).level;
      this.checks.push({ requirement: id, level, verdict, score: scoreOf(level, verdict), label, detail, ...extra });
    }
  }

  expectPacket(ids: string | string[], label: string, observed: Seen | undefined, expected: Expectation): boolean {
    if (!observed) {
      this.add(ids, 'fail', label, 'no packet came out where one was required');
      return false;
    }
    const fields = compare(expected, observed.packet);
    const bad = fields.filter((f) => !f.ok);
    const detail = bad.length ? formatMismatches(bad).split('\n').join('; ') : `${fields.length} fields as expected`;
    this.add(ids, bad.length ? 'fail' : 'pass', label, detail, { fields, packets: [observed.index] });
    return bad.length === 0;
  }

  expect(ids: string | string[], label: string, ok: boolean, detail: string, packets?: Seen[]): boolean {
    this.add(ids, ok ? 'pass' : 'fail', label, detail, packets?.length ? { packets: packets.map((p) => p.index) } : {});
    return ok;
  }

  behaviour(id: string, label: string, detail: string, packets?: Seen[]): void {
    this.add(id, 'pass', label, detail, packets?.length ? { packets: packets.map((p) => p.index) } : {});
  }

  naCheck(ids: string | string[], label: string, reason: string): void {
    this.add(ids, 'na', label, reason);
  }

  na(reason: string): never {
    throw new NotApplicable(reason);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  evidence(): EvidencePacket[] {
    if (this.opts.verdictsOnly) return [];
    return this.seen.map((s) => ({
      index: s.index,
      direction: s.direction,
      side: s.side,
      timeUs: s.timeUs,
      hex: s.bytes.toString('hex'),
      summary: summary(s.packet),
      dissection: dissect(s.packet),
    }));
  }
}

/** Every declared requirement gets the same verdict (na, error) when the case could not check them one by one. */
function blanket(def: CaseDef, verdict: Verdict, reason: string, already: CheckResult[]): CheckResult[] {
  const checked = new Set(already.map((c) => c.requirement));
  const rest = def.requirements.filter((id) => !checked.has(id));
  return [
    ...already,
    ...rest.map((id) => {
      const level = requirement(id).level;
      return { requirement: id, level, verdict, score: scoreOf(level, verdict), label: def.title, detail: reason };
    }),
  ];
}

export async function runCase(def: CaseDef, target: Target, opts: RunCaseOptions = {}): Promise<CaseResult> {
  const started = Date.now();
  let session: LabSession | undefined;
  let rec: Recorder | undefined;
  let checks: CheckResult[] = [];
  let reason: string | undefined;
  try {
    session = await target.open(def.needs ?? {});
    rec = new Recorder(def, session, opts, target);
    await def.run(rec);
    checks = rec.checks;
    const missing = def.requirements.filter((id) => !checks.some((c) => c.requirement === id));
    if (missing.length) {
      reason = `the case recorded no check for ${missing.join(', ')}`;
      checks = blanket(def, 'error', reason, checks);
    }
  } catch (err) {
    const already = rec?.checks ?? [];
    if (err instanceof NotApplicable || err instanceof ConfigRefused) {
      reason = err instanceof ConfigRefused ? `the target refused the case's configuration: ${err.message}` : err.message;
      checks = blanket(def, 'na', reason, already);
    } else {
      reason = `harness error: ${err instanceof Error ? err.message : String(err)}`;
      checks = blanket(def, 'error', reason, already);
    }
  } finally {
    await session?.close().catch(() => undefined);
  }
  return {
    id: def.id,
    suite: def.suite,
    title: def.title,
    requirements: def.requirements,
    verdict: caseVerdict(checks),
    checks,
    reason,
    config: session ? { ...session.config } : undefined,
    evidence: rec?.evidence() ?? [],
    notes: rec?.notes ?? [],
    durationMs: Date.now() - started,
  };
}

/** Bytes of every evidence packet, for the case's pcap. */
export function evidenceFrames(r: CaseResult): { data: Buffer; timestampUs: number; comment: string }[] {
  return r.evidence.map((e) => ({
    data: Buffer.from(e.hex, 'hex'),
    timestampUs: e.timeUs,
    comment: `${e.direction} side ${e.side}`,
  }));
}
