/**
 * The comparison page (DIR/index.html of `nat64lab compare`): one
 * self-contained document with the same look as the single-run report. The
 * report's stylesheet (reports/partials/style.css) plus the comparison's own
 * (reports/compare-style.hbs) are inlined and pinned by hash in a
 * Content-Security-Policy that allows no script and no external resource.
 * Every string from a run goes through handlebars `{{ }}` escaping; this
 * module only prepares a plain view model.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import Handlebars from 'handlebars';
import { reportsDir } from '../report/html';
import type { Score } from '../results/types';
import type { Cell, CellStatus, Comparison, Row, TargetSummary, Verdict } from './model';

const BADGE: Record<CellStatus, { label: string; cls: string; title: string }> = {
  pass: { label: 'PASS', cls: 'pass', title: 'every check passed' },
  fail: { label: 'FAIL', cls: 'fail', title: 'a MUST-class check failed' },
  warn: { label: 'WARN', cls: 'warn', title: 'a SHOULD-class check failed: a warning' },
  behaviour: { label: 'MAY', cls: 'behaviour', title: 'MAY: behaviour reported, not scored' },
  na: { label: 'N/A', cls: 'na', title: 'not applicable on this target' },
  error: { label: 'ERR', cls: 'error', title: 'harness error: nothing was concluded' },
  skip: { label: 'SKIP', cls: 'skip', title: 'skipped' },
  absent: { label: 'NOT CHECKED', cls: 'skip', title: 'the suite ran but no check of this requirement did' },
  'not-run': { label: 'NOT RUN', cls: 'skip', title: 'this run did not include the suite' },
};

const VERDICT: Record<Verdict, { text: string; cls: string }> = {
  pass: { text: 'PASS', cls: 'pass' },
  fail: { text: 'FAIL', cls: 'fail' },
  incomplete: { text: 'INCOMPLETE', cls: 'error' },
  'no-verdict': { text: 'NO VERDICT', cls: 'na' },
};

// C0/C1 controls (other than tab, LF, CR) are shown as \xNN rather than put in the document.
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

function text(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
  return s.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function short(s: string | undefined, max: number): string {
  const one = text(s).replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function levelClass(level: string): string {
  if (level === 'MUST' || level === 'MUST NOT') return 'must';
  if (level === 'SHOULD' || level === 'SHOULD NOT' || level === 'RECOMMENDED') return 'should';
  if (level === 'MAY') return 'may';
  return 'unknown';
}

function pct(n: number, d: number): string {
  return d ? `${((100 * n) / d).toFixed(1)}%` : '—';
}

/** A link the page may carry: relative, or http(s)/file; anything else is dropped. */
function safeHref(h: string | undefined): string {
  if (typeof h !== 'string') return '';
  const scheme = /^([^/?#]*?):/.exec(h);
  if (scheme && !['http', 'https', 'file'].includes(scheme[1].toLowerCase())) return '';
  return h;
}

interface CellView {
  cls: string;
  badge: string;
  badgeTitle: string;
  count: string;
  href: string;
  title: string;
  detail: string;
}

function countText(c: Cell): string {
  const n = (s: Score) => c.counts[s] ?? 0;
  const scored = n('pass') + n('fail') + n('warn');
  if (scored) return `${n('pass')}/${scored}`;
  if (!c.checks) return '';
  return `${c.checks} check${c.checks === 1 ? '' : 's'}`;
}

function cellView(c: Cell): CellView {
  const b = BADGE[c.status] ?? BADGE.error;
  const showDetail = c.status !== 'pass' && c.checks > 0;
  return {
    cls: b.cls,
    badge: b.label,
    badgeTitle: b.title,
    count: countText(c),
    href: safeHref(c.href),
    title: c.checks ? short(`${c.caseRef}: ${c.label} — ${c.detail}`, 600) : b.title,
    detail: showDetail ? short(c.detail, 140) : '',
  };
}

interface RowView {
  requirement: string;
  level: string;
  levelClass: string;
  where: string;
  statement: string;
  differs: boolean;
  cells: CellView[];
}

function rowView(r: Row): RowView {
  return {
    requirement: text(r.requirement),
    level: text(r.level),
    levelClass: levelClass(r.level),
    where: r.rfc ? text(`RFC ${r.rfc}${r.section ? ` §${r.section}` : ''}`) : '',
    statement: short(r.statement, 220),
    differs: r.differs,
    cells: r.cells.map(cellView),
  };
}

function targetView(t: TargetSummary) {
  const v = VERDICT[t.verdict];
  return {
    label: text(t.label),
    version: text(t.version),
    source: text(t.source),
    reportHref: safeHref(t.reportHref),
    startedAt: text(t.startedAt),
    suites: text(t.suites.join(', ')),
    verdict: v.text,
    verdictCls: v.cls,
    must: `${t.must.pass}/${t.must.total}`,
    mustRate: pct(t.must.pass, t.must.total),
    mustFail: t.must.fail,
    should: `${t.should.pass}/${t.should.total}`,
    shouldRate: pct(t.should.pass, t.should.total),
    warn: t.should.warn,
    behaviour: t.behaviour,
    na: t.na,
    error: t.error,
    skip: t.skip,
    checks: t.checks,
    cases: t.cases,
  };
}

function sha256(s: string): string {
  return `'sha256-${crypto.createHash('sha256').update(s, 'utf8').digest('base64')}'`;
}

let compiled: { page: Handlebars.TemplateDelegate; css: string } | undefined;

function templates(): { page: Handlebars.TemplateDelegate; css: string } {
  if (compiled) return compiled;
  const dir = reportsDir();
  const hb = Handlebars.create();
  const base = fs.readFileSync(path.join(dir, 'partials', 'style.css'), 'utf8').trim();
  const own = hb.compile(fs.readFileSync(path.join(dir, 'compare-style.hbs'), 'utf8'))({}).trim();
  hb.registerPartial('compare-row', fs.readFileSync(path.join(dir, 'compare-row.hbs'), 'utf8'));
  compiled = { page: hb.compile(fs.readFileSync(path.join(dir, 'compare.hbs'), 'utf8'), { preventIndent: true }), css: `${base}\n${own}` };
  return compiled;
}

export interface CompareHtmlOptions {
  tool?: string;
  generatedAt?: string;
}

export function renderComparison(cmp: Comparison, opts: CompareHtmlOptions = {}): string {
  const t = templates();
  const targets = cmp.targets.map(targetView);
  const differences = cmp.suites
    .filter((s) => s.differing > 0)
    .map((s) => ({ name: text(s.name), anchor: `diff-${s.name.replace(/[^A-Za-z0-9_-]+/g, '_')}`, rows: s.rows.filter((r) => r.differs).map(rowView) }));
  const suites = cmp.suites.map((s) => ({
    name: text(s.name),
    anchor: `suite-${s.name.replace(/[^A-Za-z0-9_-]+/g, '_')}`,
    count: s.rows.length,
    differing: s.differing,
    open: s.differing > 0,
    rows: s.rows.map(rowView),
  }));
  const behaviour = cmp.behaviour.map((b) => ({
    title: text(b.title),
    differs: b.differs,
    cells: b.cells.map((c) => ({
      value: text(c.value),
      observed: c.observed,
      links: c.hrefs.map(safeHref).filter(Boolean).map((href, i) => ({ href, n: i + 1 })),
    })),
  }));
  const names = targets.map((x) => x.label);
  const view = {
    css: t.css,
    csp: ["default-src 'none'", `style-src ${sha256(t.css)}`, 'img-src data:', "base-uri 'none'", "form-action 'none'"].join('; '),
    docTitle: text(`${opts.tool ?? 'nat64lab'} comparison — ${names.join(' vs ')}`),
    heading: names.join(' · '),
    tool: text(opts.tool ?? 'nat64lab'),
    generatedAt: text(opts.generatedAt ?? ''),
    targets,
    colspan: targets.length + 1,
    behaviour,
    behaviourObserved: cmp.behaviour.some((b) => b.cells.some((c) => c.observed)),
    behaviourDiffering: cmp.behaviour.filter((b) => b.differs).length,
    differences,
    differing: cmp.differing,
    suites,
  };
  return t.page(view);
}
