/** The results model written to results.json (schema: harness/results/results.schema.json). */
import type { FieldResult } from '../packet/compare';

export type Verdict = 'pass' | 'fail' | 'na' | 'error' | 'skip';

export type Level = 'MUST' | 'MUST NOT' | 'SHOULD' | 'SHOULD NOT' | 'RECOMMENDED' | 'MAY';

/** How a check counts toward the score: level decides what a failure means. */
export type Score = 'pass' | 'fail' | 'warn' | 'behaviour' | 'na' | 'error' | 'skip';

export interface CheckResult {
  requirement: string;
  level: Level;
  verdict: Verdict;
  score: Score;
  /** What was checked, in a few words ("ipv4.ttl decremented by one"). */
  label: string;
  /** One line: why it passed or failed. */
  detail: string;
  /** Field-by-field comparison, when the check compared a packet. */
  fields?: FieldResult[];
  /** Indices into the case's evidence packets that this check looked at. */
  packets?: number[];
}

export interface EvidencePacket {
  index: number;
  direction: 'sent' | 'received';
  side: 4 | 6;
  timeUs: number;
  hex: string;
  summary: string;
  dissection: string;
}

export interface CaseResult {
  id: string;
  suite: string;
  title: string;
  requirements: string[];
  verdict: Verdict;
  checks: CheckResult[];
  /** Why the case is na, or the harness error. */
  reason?: string;
  /** Configuration the case ran with (pool6, pool4, filtering, ...). */
  config?: Record<string, unknown>;
  evidence: EvidencePacket[];
  /** Expected packets, decoded, keyed by a label the checks use. */
  notes: string[];
  pcap?: string;
  durationMs: number;
}

export interface Totals {
  byVerdict: Record<Verdict, number>;
  byScore: Record<Score, number>;
  byLevel: Record<string, Record<Verdict, number>>;
  cases: Record<Verdict, number>;
}

export interface RunResult {
  schema: 'nat64lab-results/1';
  tool: { name: 'nat64lab'; version: string };
  target: { name: string; version: string; config: Record<string, unknown> };
  startedAt: string;
  durationMs: number;
  filter: { suites?: string[]; grep?: string };
  cases: CaseResult[];
  totals: Totals;
}
