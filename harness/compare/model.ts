/**
 * The comparison of several runs: one row per requirement and suite, one
 * column per target, the scores of each target and its behaviour card. Pure:
 * it takes runs (and where each one's report lives) and returns plain data,
 * which is what compare.json holds and what the HTML page shows.
 */
import { loadCatalogue } from '../catalogue';
import type { Requirement } from '../catalogue';
import { computeTotals, MUST_LEVELS, passRate, SHOULD_LEVELS } from '../results/totals';
import type { RunResult, Score } from '../results/types';
import { caseAnchors, checkAnchor } from './anchors';
import { behaviourCard } from './behaviour';
import type { EvidenceRef } from './behaviour';

export const COMPARE_SCHEMA = 'nat64lab-compare/1';

export interface CompareInput {
  run: RunResult;
  /** The target's single-run report relative to the comparison page; no evidence links without it. */
  reportHref?: string;
  /** Where the run's results.json was read from, as shown to the reader. */
  source?: string;
}

export type Verdict = 'pass' | 'fail' | 'incomplete' | 'no-verdict';

export interface TargetSummary {
  label: string;
  name: string;
  version: string;
  source?: string;
  reportHref?: string;
  startedAt: string;
  suites: string[];
  verdict: Verdict;
  must: { pass: number; fail: number; total: number };
  should: { pass: number; warn: number; total: number };
  behaviour: number;
  na: number;
  error: number;
  skip: number;
  checks: number;
  cases: number;
}

/** `absent`: the target ran the suite but has no check of this requirement; `not-run`: it did not run the suite. */
export type CellStatus = Score | 'absent' | 'not-run';

export interface Cell {
  status: CellStatus;
  /** Checks of the requirement in this suite, by score. */
  counts: Partial<Record<Score, number>>;
  checks: number;
  /** The check that decided the cell's status (its worst): label and one-line detail. */
  label?: string;
  detail?: string;
  caseRef?: string;
  /** Link to that check in the target's report. */
  href?: string;
}

export interface Row {
  requirement: string;
  suite: string;
  level: string;
  statement?: string;
  rfc?: string;
  section?: string;
  /** The targets that ran it disagree on the outcome. */
  differs: boolean;
  cells: Cell[];
}

export interface SuiteBlock {
  name: string;
  differing: number;
  rows: Row[];
}

export interface BehaviourCell {
  value: string;
  observed: boolean;
  hrefs: string[];
}

export interface BehaviourRow {
  key: string;
  title: string;
  differs: boolean;
  cells: BehaviourCell[];
}

export interface Comparison {
  schema: typeof COMPARE_SCHEMA;
  targets: TargetSummary[];
  behaviour: BehaviourRow[];
  suites: SuiteBlock[];
  differing: number;
}

/** Worst first: the status a cell shows when its checks disagree (as the report ranks a case's checks). */
export const STATUS_ORDER: Score[] = ['fail', 'error', 'warn', 'pass', 'behaviour', 'na', 'skip'];

function catalogueLookup(): (id: string) => Requirement | undefined {
  try {
    const cat = loadCatalogue();
    return (id) => cat.get(id);
  } catch {
    // A broken catalogue must not stop a comparison: rows then show the levels the checks carry.
    return () => undefined;
  }
}

/** Column labels: the target names, made unique when two runs share one. */
export function targetLabels(runs: RunResult[]): string[] {
  const used = new Map<string, number>();
  return runs.map((r) => {
    const base = r.target.name || 'target';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return n === 1 ? base : `${base} #${n}`;
  });
}

function summary(input: CompareInput, label: string): TargetSummary {
  const run = input.run;
  // Recomputed from the cases, as the single-run report does, so both pages agree.
  const t = computeTotals(run.cases);
  const must = passRate(t, MUST_LEVELS);
  const should = passRate(t, SHOULD_LEVELS);
  const verdict: Verdict = must.fail > 0 ? 'fail' : t.byScore.error > 0 ? 'incomplete' : must.pass === 0 ? 'no-verdict' : 'pass';
  return {
    label,
    name: run.target.name,
    version: run.target.version ?? '',
    source: input.source,
    reportHref: input.reportHref,
    startedAt: run.startedAt ?? '',
    suites: [...new Set(run.cases.map((c) => c.suite))],
    verdict,
    must: { pass: must.pass, fail: must.fail, total: must.pass + must.fail },
    should: { pass: should.pass, warn: should.fail, total: should.pass + should.fail },
    behaviour: t.byScore.behaviour,
    na: t.byScore.na,
    error: t.byScore.error,
    skip: t.byScore.skip,
    checks: run.cases.reduce((n, c) => n + c.checks.length, 0),
    cases: run.cases.length,
  };
}

function href(base: string | undefined, anchor: string): string | undefined {
  return base ? `${base}#${anchor}` : undefined;
}

interface Acc {
  counts: Partial<Record<Score, number>>;
  checks: number;
  worst?: { rank: number; label: string; detail: string; caseRef: string; anchor: string };
}

export function buildComparison(inputs: CompareInput[]): Comparison {
  const lookup = catalogueLookup();
  const labels = targetLabels(inputs.map((i) => i.run));
  const targets = inputs.map((i, n) => summary(i, labels[n]));

  // (suite, requirement) → per-target accumulation, in order of first appearance.
  const rows = new Map<string, { suite: string; requirement: string; level: string; acc: (Acc | undefined)[] }>();
  inputs.forEach((input, t) => {
    const anchors = caseAnchors(input.run);
    input.run.cases.forEach((c, ci) =>
      c.checks.forEach((k, i) => {
        const key = `${c.suite}\u0000${k.requirement}`;
        let row = rows.get(key);
        if (!row) {
          row = { suite: c.suite, requirement: k.requirement, level: k.level, acc: inputs.map(() => undefined) };
          rows.set(key, row);
        }
        const acc = (row.acc[t] ??= { counts: {}, checks: 0 });
        acc.counts[k.score] = (acc.counts[k.score] ?? 0) + 1;
        acc.checks++;
        const rank = STATUS_ORDER.indexOf(k.score);
        if (!acc.worst || (rank >= 0 && rank < acc.worst.rank)) {
          acc.worst = { rank: rank < 0 ? STATUS_ORDER.length : rank, label: k.label, detail: k.detail, caseRef: `${c.suite}/${c.id}`, anchor: checkAnchor(anchors[ci], i + 1) };
        }
      }),
    );
  });

  const suites = new Map<string, SuiteBlock>();
  for (const r of rows.values()) {
    const cells: Cell[] = r.acc.map((acc, t) => {
      if (!acc) return { status: targets[t].suites.includes(r.suite) ? 'absent' : 'not-run', counts: {}, checks: 0 };
      const w = acc.worst!;
      return {
        status: STATUS_ORDER[w.rank] ?? 'error',
        counts: acc.counts,
        checks: acc.checks,
        label: w.label,
        detail: w.detail,
        caseRef: w.caseRef,
        href: href(inputs[t].reportHref, w.anchor),
      };
    });
    // A suite one target did not run is no difference between the targets, only a gap.
    const ran = cells.filter((c) => c.status !== 'not-run').map((c) => c.status);
    const req = lookup(r.requirement);
    const row: Row = {
      requirement: r.requirement,
      suite: r.suite,
      level: req?.level ?? r.level,
      statement: req?.statement,
      rfc: req?.rfc,
      section: req?.section,
      differs: new Set(ran).size > 1,
      cells,
    };
    let s = suites.get(r.suite);
    if (!s) suites.set(r.suite, (s = { name: r.suite, differing: 0, rows: [] }));
    s.rows.push(row);
  }
  for (const s of suites.values()) {
    // Stable: differing rows first, each group in the order the runs checked them.
    s.rows = [...s.rows.filter((r) => r.differs), ...s.rows.filter((r) => !r.differs)];
    s.differing = s.rows.filter((r) => r.differs).length;
  }

  const cards = inputs.map((i) => ({ lines: behaviourCard(i.run), anchors: caseAnchors(i.run), base: i.reportHref }));
  const refHref = (card: (typeof cards)[number], e: EvidenceRef) => href(card.base, checkAnchor(card.anchors[e.caseIndex], e.check));
  const behaviour: BehaviourRow[] = (cards[0]?.lines ?? []).map((line, n) => {
    const cells = cards.map((card) => {
      const l = card.lines[n];
      return { value: l.value, observed: l.observed, hrefs: l.evidence.map((e) => refHref(card, e)).filter((h): h is string => !!h) };
    });
    const seen = cells.filter((c) => c.observed).map((c) => c.value);
    return { key: line.key, title: line.title, differs: new Set(seen).size > 1, cells };
  });

  const blocks = [...suites.values()];
  return {
    schema: COMPARE_SCHEMA,
    targets,
    behaviour,
    suites: blocks,
    differing: blocks.reduce((n, s) => n + s.differing, 0),
  };
}
