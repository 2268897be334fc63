/**
 * The self-contained HTML report of a run (index.html beside results.json).
 *
 * One document, no external resources: CSS and the small optional filter
 * script are inlined (reports/partials/style.css, reports/partials/filter.js)
 * and pinned by hash in a Content-Security-Policy, so the page cannot load or
 * run anything else even if a hostile string slipped through. Everything that
 * comes from packets or targets goes through handlebars `{{ }}` escaping; this
 * module only prepares a plain view model (no SafeStrings, no helpers).
 *
 * Templates live in reports/ at the package root: reports/report.hbs and the
 * partials reports/partials/*.hbs.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import Handlebars from 'handlebars';
import { requirement as catalogueRequirement } from '../catalogue';
import type { Requirement } from '../catalogue';
import type { FieldResult } from '../packet/compare';
import { computeTotals, MUST_LEVELS, passRate, SHOULD_LEVELS } from '../results/totals';
import type { CaseResult, CheckResult, EvidencePacket, RunResult, Score } from '../results/types';

export interface ReportOptions {
  /** Link to the case's pcap (relative to the report), or undefined for none. */
  pcapHref?: (c: CaseResult) => string | undefined;
  /**
   * Requirement lookup; defaults to the project catalogue (harness/catalogue).
   * An id it does not know is shown as "not in the catalogue", never thrown.
   */
  catalogue?: (id: string) => Requirement | undefined;
}

// ---------------------------------------------------------------------------
// Templates

/** reports/ at the package root, from dist/harness/report/ or from harness/report/. */
export function reportsDir(): string {
  const fromDist = path.resolve(__dirname, '../../../reports');
  if (fs.existsSync(path.join(fromDist, 'report.hbs'))) return fromDist;
  return path.resolve(__dirname, '../../reports');
}

interface Compiled {
  template: Handlebars.TemplateDelegate<View>;
  css: string;
  script: string;
}

const compiled = new Map<string, Compiled>();

function load(dir: string): Compiled {
  const hit = compiled.get(dir);
  if (hit) return hit;
  const hb = Handlebars.create();
  const partials = path.join(dir, 'partials');
  const files = fs.existsSync(partials) ? fs.readdirSync(partials).sort() : [];
  for (const f of files.filter((f) => f.endsWith('.hbs'))) {
    hb.registerPartial(path.basename(f, '.hbs'), fs.readFileSync(path.join(partials, f), 'utf8'));
  }
  const c: Compiled = {
    template: hb.compile<View>(fs.readFileSync(path.join(dir, 'report.hbs'), 'utf8'), { preventIndent: true }),
    css: fs.readFileSync(path.join(partials, 'style.css'), 'utf8').trim(),
    script: fs.readFileSync(path.join(partials, 'filter.js'), 'utf8').trim(),
  };
  compiled.set(dir, c);
  return c;
}

function sha256(s: string): string {
  return `'sha256-${crypto.createHash('sha256').update(s, 'utf8').digest('base64')}'`;
}

// ---------------------------------------------------------------------------
// View model: plain strings, numbers and booleans only.

type Status = Score | 'unknown';

interface Badge {
  status: Status;
  label: string;
  title: string;
}

interface KV {
  key: string;
  value: string;
  block: boolean;
}

interface ReqView {
  id: string;
  known: boolean;
  rfc: string;
  section: string;
  level: string;
  levelClass: string;
  statement: string;
  error: string;
}

interface FieldView {
  path: string;
  rule: string;
  expected: string;
  observed: string;
  note: string;
  ok: boolean;
}

interface CheckView {
  anchor: string;
  n: number;
  requirement: string;
  level: string;
  levelClass: string;
  badge: Badge;
  chip: string;
  label: string;
  detail: string;
  chipTitle: string;
  fields: FieldView[];
  hasFields: boolean;
  mismatches: number;
  fieldsOpen: boolean;
  fieldsSummary: string;
  packets: { n: number; anchor: string }[];
}

interface PacketView {
  anchor: string;
  index: number;
  direction: string;
  arrow: string;
  side: string;
  time: string;
  summary: string;
  dissection: string;
  hex: string;
}

interface CaseView {
  anchor: string;
  suite: string;
  id: string;
  title: string;
  badge: Badge;
  recordedVerdict: string;
  verdictDiffers: boolean;
  search: string;
  duration: string;
  reqTags: { id: string; level: string; levelClass: string }[];
  requirements: ReqView[];
  checks: CheckView[];
  evidence: PacketView[];
  notes: string[];
  reason: string;
  reasonClass: string;
  reasonLabel: string;
  config: KV[];
  pcapHref: string;
  pcapText: string;
}

interface SuiteView {
  name: string;
  anchor: string;
  cases: CaseView[];
  summary: string;
}

interface Finding {
  badge: Badge;
  requirement: string;
  level: string;
  levelClass: string;
  caseAnchor: string;
  checkAnchor: string;
  caseRef: string;
  label: string;
  detail: string;
}

interface View {
  css: string;
  script: string;
  csp: string;
  docTitle: string;
  tool: string;
  target: { name: string; version: string; config: KV[] };
  startedAt: string;
  duration: string;
  filter: string;
  overall: { status: 'pass' | 'fail' | 'error' | 'na'; text: string; sub: string };
  must: { pass: number; fail: number; rate: string };
  should: { pass: number; warn: number; rate: string };
  behaviour: number;
  unscored: { na: number; error: number; skip: number };
  checksTotal: number;
  cases: { total: number; pass: number; fail: number; warn: number; behaviour: number; na: number; error: number; skip: number };
  findings: Finding[];
  suites: SuiteView[];
}

const SCORE_LABEL: Record<Score, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  behaviour: 'BEHAVIOUR',
  na: 'N/A',
  error: 'ERROR',
  skip: 'SKIP',
};

const CHIP_LABEL: Record<Score, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  behaviour: 'MAY',
  na: 'N/A',
  error: 'ERR',
  skip: 'SKIP',
};

const SCORE_TITLE: Record<Score, string> = {
  pass: 'passed',
  fail: 'MUST-class failure: fails the target',
  warn: 'SHOULD-class failure: a warning, does not fail the target',
  behaviour: 'MAY: behaviour reported, not scored',
  na: 'not applicable on this target',
  error: 'harness error: nothing was concluded',
  skip: 'skipped',
};

/** Worst first, for a case's displayed status: a confirmed MUST failure outranks a harness error. */
const CASE_ORDER: Score[] = ['fail', 'error', 'warn', 'pass', 'behaviour', 'na', 'skip'];

const FINDING_ORDER: Score[] = ['fail', 'error', 'warn'];

function isScore(s: unknown): s is Score {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(SCORE_LABEL, s);
}

function badge(score: unknown): Badge {
  if (!isScore(score)) return { status: 'unknown', label: text(score).toUpperCase() || '?', title: 'unknown score' };
  return { status: score, label: SCORE_LABEL[score], title: SCORE_TITLE[score] };
}

// C0/C1 controls (other than tab, LF, CR) are shown as \xNN rather than put in the document.
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

function text(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
  return s.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function levelClass(level: unknown): string {
  if (level === 'MUST' || level === 'MUST NOT') return 'must';
  if (level === 'SHOULD' || level === 'SHOULD NOT' || level === 'RECOMMENDED') return 'should';
  if (level === 'MAY') return 'may';
  return 'unknown';
}

function json(v: unknown, indent?: number): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), indent) ?? String(v);
  } catch {
    return String(v);
  }
}

function kvs(obj: Record<string, unknown> | undefined): KV[] {
  if (!obj || typeof obj !== 'object') return [];
  return Object.keys(obj).map((key) => {
    const v = obj[key];
    if (v !== null && typeof v === 'object') return { key: text(key), value: text(json(v, 2)), block: true };
    return { key: text(key), value: text(typeof v === 'string' ? v : json(v)), block: false };
  });
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min ${s % 60} s` : `${m} min ${s % 60} s`;
}

function pct(rate: number | undefined): string {
  return rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * HTML ids: `case-<suite>-<id>` with anything outside [A-Za-z0-9_-] replaced, made unique.
 * Exported, as is checkAnchor, because comparisons (harness/compare/anchors.ts)
 * link into reports and must arrive at the very ids handed out here.
 */
export function anchorMaker(): (base: string) => string {
  const used = new Set<string>();
  return (base) => {
    const clean = base.replace(/[^A-Za-z0-9_-]+/g, '_');
    let id = clean;
    for (let n = 2; used.has(id); n++) id = `${clean}-${n}`;
    used.add(id);
    return id;
  };
}

/** The id of a check: `n` counts the case's checks from 1. */
export function checkAnchor(caseAnchor: string, n: number): string {
  return `${caseAnchor}-check-${n}`;
}

/** A link target the report will put in an href: relative, or http(s)/file; anything else (javascript:, data:) is dropped. */
function safeHref(h: string | undefined): string {
  if (typeof h !== 'string') return '';
  const s = h.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+/, '').trimEnd();
  const scheme = /^([^/?#]*?):/.exec(s);
  if (scheme && !['http', 'https', 'file'].includes(scheme[1].toLowerCase())) return '';
  return s;
}

function hexDump(hex: string): string {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) return text(hex);
  const lines: string[] = [];
  for (let off = 0; off < hex.length / 2; off += 16) {
    const bytes = hex.slice(off * 2, off * 2 + 32).match(/../g) ?? [];
    const left = bytes.slice(0, 8).join(' ');
    const right = bytes.slice(8).join(' ');
    lines.push(`${off.toString(16).padStart(4, '0')}  ${left}${right ? `  ${right}` : ''}`);
  }
  return lines.join('\n');
}

function caseStatus(c: CaseResult): Status {
  const checks = c.checks ?? [];
  for (const s of CASE_ORDER) if (checks.some((k) => k.score === s)) return s;
  return isScore(c.verdict) ? c.verdict : 'unknown';
}

function lookupWith(opts: ReportOptions): (id: string) => ReqView {
  const cache = new Map<string, ReqView>();
  return (id) => {
    const hit = cache.get(id);
    if (hit) return hit;
    let r: Requirement | undefined;
    let error = '';
    try {
      r = opts.catalogue ? opts.catalogue(id) : catalogueRequirement(id);
      if (!r) error = 'not in the requirement catalogue';
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const rfc = r ? text(r.rfc) : '';
    const v: ReqView = {
      id: text(id),
      known: !!r,
      rfc: /^\d+$/.test(rfc) ? `RFC ${rfc}` : rfc,
      section: r && r.section ? `§${text(r.section)}` : '',
      level: r ? text(r.level) : '',
      levelClass: r ? levelClass(r.level) : 'unknown',
      statement: r ? text(r.statement) : '',
      error: text(error),
    };
    cache.set(id, v);
    return v;
  };
}

function fieldView(f: FieldResult): FieldView {
  return {
    path: text(f.path),
    rule: text(f.rule),
    expected: text(f.expected),
    observed: text(f.observed),
    note: text(f.note),
    ok: f.ok === true,
  };
}

function checkView(k: CheckResult, n: number, caseAnchor: string, packetAnchors: Map<number, string>): CheckView {
  const fields = (k.fields ?? []).map(fieldView);
  const mismatches = fields.filter((f) => !f.ok).length;
  const b = badge(k.score);
  const chip = isScore(k.score) ? CHIP_LABEL[k.score] : b.label;
  return {
    anchor: checkAnchor(caseAnchor, n),
    n,
    requirement: text(k.requirement),
    level: text(k.level),
    levelClass: levelClass(k.level),
    badge: b,
    chip,
    label: text(k.label),
    detail: text(k.detail),
    chipTitle: text(`${k.requirement} (${k.level}) ${b.label}: ${k.label}`),
    fields,
    hasFields: fields.length > 0,
    mismatches,
    fieldsOpen: mismatches > 0,
    fieldsSummary: mismatches
      ? `${plural(mismatches, 'field')} of ${fields.length} did not match`
      : `${plural(fields.length, 'field')}, all as expected`,
    packets: (k.packets ?? []).map((p) => ({ n: p, anchor: packetAnchors.get(p) ?? '' })),
  };
}

function packetView(p: EvidencePacket, anchor: string, t0: number): PacketView {
  const dt = Number.isFinite(p.timeUs) && Number.isFinite(t0) ? `+${((p.timeUs - t0) / 1000).toFixed(3)} ms` : '';
  return {
    anchor,
    index: p.index,
    direction: p.direction === 'sent' ? 'sent' : p.direction === 'received' ? 'received' : text(p.direction),
    arrow: p.direction === 'sent' ? '→' : '←',
    side: p.side === 6 ? 'IPv6' : p.side === 4 ? 'IPv4' : text(p.side),
    time: dt,
    summary: text(p.summary),
    dissection: text(p.dissection),
    hex: hexDump(typeof p.hex === 'string' ? p.hex : ''),
  };
}

function caseView(c: CaseResult, anchor: string, req: (id: string) => ReqView, opts: ReportOptions): CaseView {
  const evidence = c.evidence ?? [];
  const packetAnchors = new Map<number, string>();
  for (const p of evidence) packetAnchors.set(p.index, `${anchor}-pkt-${p.index}`);
  const t0 = evidence.length ? Math.min(...evidence.map((p) => p.timeUs)) : 0;
  const checks = (c.checks ?? []).map((k, i) => checkView(k, i + 1, anchor, packetAnchors));

  // Requirement ids in declaration order, then any checked but not declared.
  const ids: string[] = [];
  for (const id of [...(c.requirements ?? []), ...(c.checks ?? []).map((k) => k.requirement)]) if (!ids.includes(id)) ids.push(id);
  const levelOf = (id: string): string => {
    const r = req(id);
    if (r.known) return r.level;
    return text((c.checks ?? []).find((k) => k.requirement === id)?.level);
  };

  const status = caseStatus(c);
  const reasonClass = c.verdict === 'error' ? 'error' : c.verdict === 'na' ? 'na' : 'note';
  const href = opts.pcapHref ? safeHref(opts.pcapHref(c)) : '';
  return {
    anchor,
    suite: text(c.suite),
    id: text(c.id),
    title: text(c.title),
    badge: badge(status),
    recordedVerdict: text(c.verdict),
    verdictDiffers: status !== c.verdict,
    search: text(`${c.suite}/${c.id} ${c.title} ${ids.join(' ')}`.toLowerCase()),
    duration: formatDuration(c.durationMs),
    reqTags: ids.map((id) => ({ id: text(id), level: levelOf(id), levelClass: levelClass(levelOf(id)) })),
    requirements: ids.map(req),
    checks,
    evidence: evidence.map((p) => packetView(p, packetAnchors.get(p.index) ?? '', t0)),
    notes: (c.notes ?? []).map(text),
    reason: text(c.reason),
    reasonClass,
    reasonLabel: reasonClass === 'error' ? 'Harness error' : reasonClass === 'na' ? 'Not applicable' : 'Reason',
    config: kvs(c.config),
    pcapHref: href,
    pcapText: href ? text(href) : '',
  };
}

function buildView(run: RunResult, opts: ReportOptions, assets: { css: string; script: string }): View {
  // Totals are recomputed from the cases shown, so the scorecard always agrees with the page.
  const totals = computeTotals(run.cases);
  const must = passRate(totals, MUST_LEVELS);
  const should = passRate(totals, SHOULD_LEVELS);
  const req = lookupWith(opts);
  const anchor = anchorMaker();

  const suites: SuiteView[] = [];
  const bySuite = new Map<string, SuiteView>();
  const caseCounts = { total: 0, pass: 0, fail: 0, warn: 0, behaviour: 0, na: 0, error: 0, skip: 0 };
  const findings: Finding[] = [];
  let failingCases = 0;

  for (const c of run.cases) {
    let s = bySuite.get(c.suite);
    if (!s) {
      s = { name: text(c.suite), anchor: anchor(`suite-${c.suite}`), cases: [], summary: '' };
      bySuite.set(c.suite, s);
      suites.push(s);
    }
    const v = caseView(c, anchor(`case-${c.suite}-${c.id}`), req, opts);
    s.cases.push(v);
    caseCounts.total++;
    if (v.badge.status !== 'unknown') caseCounts[v.badge.status]++;
    if (v.badge.status === 'fail') failingCases++;
    for (const k of v.checks) {
      if (FINDING_ORDER.includes(k.badge.status as Score)) {
        findings.push({
          badge: k.badge,
          requirement: k.requirement,
          level: k.level,
          levelClass: k.levelClass,
          caseAnchor: v.anchor,
          checkAnchor: k.anchor,
          caseRef: `${v.suite}/${v.id}`,
          label: k.label,
          detail: k.detail,
        });
      }
    }
  }
  findings.sort((a, b) => FINDING_ORDER.indexOf(a.badge.status as Score) - FINDING_ORDER.indexOf(b.badge.status as Score));

  for (const s of suites) {
    const n = (st: Status) => s.cases.filter((c) => c.badge.status === st).length;
    const parts = [plural(s.cases.length, 'case')];
    for (const [st, word] of [['fail', 'failing'], ['warn', 'with warnings'], ['error', 'in error'], ['na', 'n/a']] as const) {
      if (n(st)) parts.push(`${n(st)} ${word}`);
    }
    s.summary = parts.join(' · ');
  }

  const errors = totals.byScore.error;
  let overall: View['overall'];
  if (must.fail > 0) {
    overall = {
      status: 'fail',
      text: `FAIL — ${plural(must.fail, 'MUST failure')}`,
      sub: `in ${plural(failingCases, 'case')}${errors ? `; also ${plural(errors, 'harness error')}` : ''}`,
    };
  } else if (errors > 0) {
    overall = {
      status: 'error',
      text: `INCOMPLETE — ${plural(errors, 'harness error')}`,
      sub: 'no MUST failure was found, but some checks could not be run: not a pass',
    };
  } else if (must.pass === 0) {
    overall = { status: 'na', text: 'NO VERDICT — no MUST requirement was checked', sub: 'nothing in this run was scored against a MUST' };
  } else {
    overall = { status: 'pass', text: 'PASS', sub: `all ${plural(must.pass, 'MUST check')} passed` };
  }

  const toolName = text(run.tool?.name ?? 'nat64lab');
  const suitesFilter = run.filter?.suites?.length ? run.filter.suites.map(text).join(', ') : 'all suites';
  const grep = run.filter?.grep ? `grep "${text(run.filter.grep)}"` : '';
  return {
    css: assets.css,
    script: assets.script,
    csp: [
      "default-src 'none'",
      `style-src ${sha256(assets.css)}`,
      `script-src ${sha256(assets.script)}`,
      "img-src data:",
      "base-uri 'none'",
      "form-action 'none'",
    ].join('; '),
    docTitle: text(`${toolName} report — ${run.target?.name} ${run.target?.version} — ${overall.text}`),
    tool: `${toolName} ${text(run.tool?.version)}`,
    target: { name: text(run.target?.name), version: text(run.target?.version), config: kvs(run.target?.config) },
    startedAt: text(run.startedAt),
    duration: formatDuration(run.durationMs),
    filter: grep ? `${suitesFilter}; ${grep}` : suitesFilter,
    overall,
    must: { pass: must.pass, fail: must.fail, rate: pct(must.rate) },
    should: { pass: should.pass, warn: should.fail, rate: pct(should.rate) },
    behaviour: totals.byScore.behaviour,
    unscored: { na: totals.byScore.na, error: totals.byScore.error, skip: totals.byScore.skip },
    checksTotal: (run.cases ?? []).reduce((n, c) => n + (c.checks ?? []).length, 0),
    cases: caseCounts,
    findings,
    suites,
  };
}

/** The report as one self-contained HTML document. */
export function renderReport(run: RunResult, opts: ReportOptions = {}): string {
  const t = load(reportsDir());
  return t.template(buildView(run, opts, t));
}
