/**
 * Runs one case against one target: opens a session with the case's needs,
 * lets the case send and check, and returns the case result with every
 * packet as evidence. The verdict rules (harness failures `error`, unmet
 * preconditions `na`, a declared but unchecked requirement an error) are the
 * shared case lifecycle's (case-lifecycle.ts).
 */
import { decode, encode } from '../packet/codec';
import { compare, formatMismatches } from '../packet/compare';
import type { Expectation } from '../packet/compare';
import { dissect, summary } from '../packet/dissect';
import type { Packet, Side } from '../packet/types';
import { ConfigRefused } from '../lab/target';
import type { Captured, EffectiveConfig, LabSession, Target, TargetNeeds } from '../lab/target';
import type { CaseResult, EvidencePacket } from '../results/types';
import type { CaseContext, CaseDef, Exchange, Seen } from './case';
import { runCaseLifecycle } from './case-lifecycle';
import { caseVerdict, CheckRecorder, scoreOf } from './check-recorder';

// Kept here too: callers and tests import them from the runner.
export { caseVerdict, scoreOf };

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

class Recorder extends CheckRecorder implements CaseContext {
  readonly seen: Seen[] = [];

  constructor(
    def: CaseDef,
    private readonly session: LabSession,
    private readonly opts: RunCaseOptions,
    private readonly target: Target,
  ) {
    super(def);
  }

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

export async function runCase(def: CaseDef, target: Target, opts: RunCaseOptions = {}): Promise<CaseResult> {
  return runCaseLifecycle(def, {
    open: () => target.open(def.needs ?? {}),
    recorder: (session) => new Recorder(def, session, opts, target),
    run: (rec) => def.run(rec),
  });
}

/** Bytes of every evidence packet, for the case's pcap. */
export function evidenceFrames(r: CaseResult): { data: Buffer; timestampUs: number; comment: string }[] {
  return r.evidence.map((e) => ({
    data: Buffer.from(e.hex, 'hex'),
    timestampUs: e.timeUs,
    comment: `${e.direction} side ${e.side}`,
  }));
}
