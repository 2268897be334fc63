import { expect } from 'chai';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Requirement } from '../../harness/catalogue';
import type { FieldResult } from '../../harness/packet/compare';
import { formatDuration, renderReport, reportsDir } from '../../harness/report/html';
import { computeTotals } from '../../harness/results/totals';
import type { CaseResult, CheckResult, EvidencePacket, Level, RunResult } from '../../harness/results/types';

const HOSTILE = '<script>alert(1)</script> "quoted" & more';
const HOSTILE_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; more';

const REQS: Requirement[] = [
  ['R-TTL', '6145', '5.1', 'MUST', 'The translator MUST decrement the TTL/Hop Limit by one.'],
  ['R-TOS', '6145', '5.1', 'SHOULD', 'The Traffic Class SHOULD be copied to the Type of Service.'],
  ['R-DF', '6145', '5.1', 'MAY', 'The translator MAY set DF.'],
  ['R-CSUM', '6146', '3.5.1', 'MUST', `The checksum MUST be recomputed ${HOSTILE}`],
  ['R-TC', '6145', '4.1', 'SHOULD', 'Traffic class SHOULD be preserved.'],
  ['R-FRAG', '6145', '5.1.1', 'SHOULD', 'The Identification SHOULD be unique.'],
  ['R-DF2', '6145', '5.1', 'MUST NOT', 'The translator MUST NOT drop packets with DF set below the MTU.'],
  ['R-ECHO', '6146', '3.5.3', 'MUST', 'ICMP echo MUST be translated.'],
  ['R-ECHO2', '6146', '3.5.3', 'MUST', 'ICMP echo identifiers MUST be mapped.'],
  ['R-ID', '6146', '3.5.3', 'MUST', 'The ICMP identifier MUST be rewritten.'],
].map(([id, rfc, section, level, statement]) => ({
  id,
  rfc,
  section,
  level: level as Level,
  suite: 'x',
  testability: 'black-box',
  statement,
}));
const CATALOGUE = new Map(REQS.map((r) => [r.id, r]));
// R-UNKNOWN is deliberately not in the catalogue.

function field(p: string, expected: string, observed: string, ok: boolean, note?: string): FieldResult {
  return { path: p, expected, observed, ok, rule: 'exact', ...(note ? { note } : {}) };
}

function check(requirement: string, level: Level, verdict: CheckResult['verdict'], score: CheckResult['score'], extra: Partial<CheckResult> = {}): CheckResult {
  return { requirement, level, verdict, score, label: `${requirement} check`, detail: `${requirement} ${verdict}`, ...extra };
}

function packet(index: number, direction: 'sent' | 'received', side: 4 | 6, dissection = 'Internet Protocol\n    Version: 6'): EvidencePacket {
  return {
    index,
    direction,
    side,
    timeUs: 1_000_000 + index * 250,
    hex: '60000000000d114020010db8000000000000000000000001',
    summary: `${side === 6 ? 'IPv6' : 'IPv4'} packet ${index}`,
    dissection,
  };
}

function kase(suite: string, id: string, title: string, checks: CheckResult[], extra: Partial<CaseResult> = {}): CaseResult {
  const order = ['error', 'fail', 'pass', 'na', 'skip'] as const;
  return {
    id,
    suite,
    title,
    requirements: [...new Set(checks.map((k) => k.requirement))],
    verdict: order.find((v) => checks.some((k) => k.verdict === v)) ?? 'skip',
    checks,
    evidence: [],
    notes: [],
    durationMs: 12,
    ...extra,
  };
}

function fixture(): RunResult {
  const cases: CaseResult[] = [
    kase('header-translation', 'ttl-decrement', 'TTL is decremented', [
      check('R-TTL', 'MUST', 'pass', 'pass', {
        fields: [field('ipv4.ttl', '63 (decremented by 1 from 64)', '63', true), field('ipv4.version', '4', '4', true)],
        packets: [1],
      }),
      check('R-TOS', 'SHOULD', 'pass', 'pass'),
      check('R-DF', 'MAY', 'pass', 'behaviour', { detail: 'DF is set on every translated packet' }),
    ], { evidence: [packet(0, 'sent', 6), packet(1, 'received', 4)], pcap: 'pcap/header-translation--ttl-decrement.pcap' }),
    kase('header-translation', 'checksum', `UDP checksum ${HOSTILE}`, [
      check('R-CSUM', 'MUST', 'fail', 'fail', {
        label: `checksum ${HOSTILE}`,
        detail: `udp.checksum: expected 0x1234, observed 0x0000 ${HOSTILE}`,
        fields: [
          field('ipv4.ttl', '63', '63', true),
          field('udp.checksum', '0x1234 (valid)', '0x0000', false, `note ${HOSTILE}`),
          field('udp.length', '13', '13', true),
          field(`udp.payload`, HOSTILE, '(absent)', false),
        ],
        packets: [0, 1, 7],
      }),
      check('R-TC', 'SHOULD', 'fail', 'warn', {
        fields: [field('ipv4.tos', '0xb8', '0x00', false), field('ipv4.id', 'any', '0x1c46', true)],
      }),
    ], {
      evidence: [packet(0, 'sent', 6), packet(1, 'received', 4, `Data ${HOSTILE}\n\u0001ctl`)],
      notes: [`the target was asked nicely ${HOSTILE}`],
      config: { pool6: '64:ff9b::/96', [`k${HOSTILE}`]: { nested: HOSTILE } },
      pcap: 'pcap/header-translation--checksum.pcap',
    }),
    kase('header-translation', 'fragment-id', 'Fragment identification', [
      check('R-FRAG', 'SHOULD', 'fail', 'warn'),
      check('R-DF2', 'MUST NOT', 'pass', 'pass'),
    ]),
    kase('icmp-query', 'echo-na', 'Echo on a target without ICMP', [check('R-ECHO', 'MUST', 'na', 'na', { detail: 'no ICMP' })], {
      reason: 'the target does not translate ICMP',
    }),
    kase('icmp-query', 'id_rewrite', 'Identifier mapping (error)', [check('R-ECHO2', 'MUST', 'error', 'error', { detail: 'harness error: timeout' })], {
      reason: `harness error: timeout ${HOSTILE}`,
    }),
    // Sanitises to the same anchor as id_rewrite.
    kase('icmp-query', 'id.rewrite', 'Identifier rewrite', [
      check('R-ID', 'MUST', 'fail', 'fail', { detail: 'identifier was not rewritten' }),
      check('R-UNKNOWN', 'RECOMMENDED', 'pass', 'pass'),
    ], { pcap: 'javascript:alert(1)' }),
  ];
  return {
    schema: 'nat64lab-results/1',
    tool: { name: 'nat64lab', version: '0.1.0' },
    target: { name: `engine ${HOSTILE}`, version: '1.2.3', config: { pool6: '64:ff9b::/96', pool4: ['198.51.100.0/24'], hairpin: true } },
    startedAt: '2025-01-02T03:04:05.000Z',
    durationMs: 83_500,
    filter: { suites: ['header-translation', 'icmp-query'], grep: 'echo' },
    cases,
    totals: computeTotals(cases),
  };
}

const catalogue = (id: string) => CATALOGUE.get(id);
const pcapHref = (c: CaseResult) => c.pcap;

function dataK(html: string, key: string): string {
  const m = new RegExp(`data-k="${key}">([^<]*)<`).exec(html);
  if (!m) expect.fail(`no data-k="${key}" in the report`);
  return m[1];
}

function ids(html: string): string[] {
  return [...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]);
}

/** The HTML of the element with this id, up to the closing tag of the same name at the same depth (good enough for our markup). */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  if (start < 0) expect.fail(`no element with id ${id}`);
  const open = html.lastIndexOf('<', start);
  const tag = /^<([a-z0-9]+)/.exec(html.slice(open))![1];
  let depth = 0;
  const re = new RegExp(`<(/?)${tag}[\\s>]`, 'g');
  re.lastIndex = open;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) return html.slice(open, m.index + tag.length + 3);
  }
  return expect.fail(`unclosed ${tag}#${id}`);
}

describe('report/html', () => {
  let html: string;
  before(() => {
    html = renderReport(fixture(), { pcapHref, catalogue });
    if (process.env.REPORT_SAMPLE) fs.writeFileSync(process.env.REPORT_SAMPLE, html);
  });

  it('finds its templates in reports/ at the package root', () => {
    expect(fs.existsSync(path.join(reportsDir(), 'report.hbs'))).to.equal(true);
    expect(fs.existsSync(path.join(reportsDir(), 'partials'))).to.equal(true);
  });

  it('is a single HTML document', () => {
    expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
    expect(html.match(/<!DOCTYPE/gi)).to.have.length(1);
    expect(html.match(/<html[\s>]/g)).to.have.length(1);
    expect(html.match(/<\/html>/g)).to.have.length(1);
    expect(html.match(/<body[\s>]/g)).to.have.length(1);
    expect(html.match(/<head[\s>]/g)).to.have.length(1);
    expect(html.trimEnd().endsWith('</html>')).to.equal(true);
  });

  it('references nothing outside itself', () => {
    expect(html).not.to.match(/src="http/i);
    expect(html).not.to.match(/href="http/i);
    expect(html).not.to.match(/<link[^>]*rel="?stylesheet/i);
    expect(html).not.to.match(/<link\b/i);
    expect(html).not.to.match(/<script[^>]*\ssrc=/i);
    expect(html).not.to.match(/@import|url\(/i);
    expect(html).not.to.match(/<(img|iframe|object|embed)\b/i);
  });

  it('pins its inline style and script by hash in a Content-Security-Policy', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
    expect(csp, 'CSP meta').to.not.equal(null);
    const hash = (s: string) => `'sha256-${crypto.createHash('sha256').update(s, 'utf8').digest('base64')}'`;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
    const policy = csp![1].replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=');
    expect(policy).to.include(`default-src 'none'`);
    expect(policy).to.include(`style-src ${hash(style)}`);
    expect(policy).to.include(`script-src ${hash(script)}`);
    expect(html.match(/<style[\s>]/g)).to.have.length(1);
    expect(html.match(/<script[\s>]/g)).to.have.length(1);
  });

  it('shows the header: target, version, tool, start, duration, filter and config', () => {
    const head = html.slice(html.indexOf('<header'), html.indexOf('</header>'));
    expect(head).to.include(`engine ${HOSTILE_ESCAPED}`);
    expect(head).to.include('1.2.3');
    expect(head).to.include('nat64lab 0.1.0');
    expect(head).to.include('2025-01-02T03:04:05.000Z');
    expect(head).to.include('1 min 24 s');
    expect(head).to.include('header-translation, icmp-query; grep &quot;echo&quot;');
    expect(head).to.match(/<dt>pool6<\/dt><dd><code>64:ff9b::\/96<\/code><\/dd>/);
    expect(head).to.match(/<dt>hairpin<\/dt><dd><code>true<\/code><\/dd>/);
    expect(head).to.include('<pre>[\n  &quot;198.51.100.0/24&quot;\n]</pre>');
  });

  it('scores MUST, SHOULD, MAY and the unscored checks', () => {
    expect(dataK(html, 'must-pass')).to.equal('2');
    expect(dataK(html, 'must-fail')).to.equal('2');
    expect(dataK(html, 'must-rate')).to.equal('50.0%');
    expect(dataK(html, 'should-pass')).to.equal('2');
    expect(dataK(html, 'should-warn')).to.equal('2');
    expect(dataK(html, 'should-rate')).to.equal('50.0%');
    expect(dataK(html, 'behaviour')).to.equal('1');
    expect(dataK(html, 'na')).to.equal('1');
    expect(dataK(html, 'error')).to.equal('1');
    expect(dataK(html, 'skip')).to.equal('0');
    expect(dataK(html, 'checks')).to.equal('11');
    expect(dataK(html, 'cases')).to.equal('6');
  });

  it('states the overall result: FAIL with the number of MUST failures', () => {
    const overall = section(html, 'overall');
    expect(overall).to.include('class="overall s-fail"');
    expect(overall).to.include('FAIL — 2 MUST failures');
    expect(overall).to.include('in 2 cases; also 1 harness error');
    expect(/<title>[^<]*FAIL — 2 MUST failures<\/title>/.test(html)).to.equal(true);
  });

  it('says PASS, INCOMPLETE or NO VERDICT when there is no MUST failure', () => {
    const run = fixture();
    const only = (keep: string[]) => {
      const r = { ...run, cases: run.cases.filter((c) => keep.includes(c.id)) };
      return section(renderReport({ ...r, totals: computeTotals(r.cases) }, { catalogue }), 'overall');
    };
    const pass = only(['ttl-decrement', 'fragment-id']);
    expect(pass).to.include('class="overall s-pass"');
    expect(pass).to.match(/overall-line">PASS</);
    const incomplete = only(['ttl-decrement', 'id_rewrite']);
    expect(incomplete).to.include('INCOMPLETE — 1 harness error');
    expect(only(['echo-na'])).to.include('NO VERDICT');
    expect(only(['ttl-decrement', 'checksum'])).to.include('FAIL — 1 MUST failure<');
  });

  it('has one table per suite with a row per case, a verdict badge, requirements and score chips', () => {
    const tables = [...html.matchAll(/<table class="grid cases" id="([^"]+)"/g)].map((m) => m[1]);
    expect(tables).to.deep.equal(['suite-header-translation', 'suite-icmp-query']);
    const ht = section(html, 'suite-header-translation');
    const icmp = section(html, 'suite-icmp-query');
    expect(ht.match(/<tr data-case/g)).to.have.length(3);
    expect(icmp.match(/<tr data-case/g)).to.have.length(3);
    expect(ht).to.include('3 cases · 1 failing · 1 with warnings');

    const row = (table: string, anchor: string) => {
      const i = table.indexOf(`href="#${anchor}"`);
      expect(i, anchor).to.be.greaterThan(0);
      return table.slice(table.lastIndexOf('<tr', i), table.indexOf('</tr>', i));
    };
    const ttl = row(ht, 'case-header-translation-ttl-decrement');
    expect(ttl).to.include('data-status="pass"');
    expect(ttl).to.include('<code>R-TTL</code> <span class="lvl l-must">MUST</span>');
    expect(ttl).to.include('<code>R-DF</code> <span class="lvl l-may">MAY</span>');
    expect(ttl.match(/class="chip s-(\w+)"/g)).to.deep.equal(['class="chip s-pass"', 'class="chip s-pass"', 'class="chip s-behaviour"']);
    expect(ttl).to.include('href="#case-header-translation-ttl-decrement-check-1"');

    const sum = row(ht, 'case-header-translation-checksum');
    expect(sum).to.include('<span class="badge s-fail"');
    expect(sum.match(/class="chip s-(\w+)"/g)).to.deep.equal(['class="chip s-fail"', 'class="chip s-warn"']);

    // A case whose only failure is SHOULD-class is a warning, never red.
    const frag = row(ht, 'case-header-translation-fragment-id');
    expect(frag).to.include('<span class="badge s-warn"');
    expect(frag).not.to.include('s-fail');

    expect(row(icmp, 'case-icmp-query-echo-na')).to.include('<span class="badge s-na"');
    expect(row(icmp, 'case-icmp-query-id_rewrite')).to.include('<span class="badge s-error"');
  });

  it('gives every case a section with requirement statements, checks, notes, evidence and reason', () => {
    const c = section(html, 'case-header-translation-checksum');
    expect(c).to.include('data-status="fail"');
    expect(c).to.include('<code>R-CSUM</code> <span class="lvl l-must">MUST</span> <span class="muted">RFC 6146 §3.5.1</span>');
    expect(c).to.include(`<blockquote>The checksum MUST be recomputed ${HOSTILE_ESCAPED}</blockquote>`);
    expect(c).to.include('id="case-header-translation-checksum-check-1"');
    expect(c).to.include('id="case-header-translation-checksum-check-2"');
    expect(c).to.include(`checksum ${HOSTILE_ESCAPED}`);
    expect(c).to.include(`udp.checksum: expected 0x1234, observed 0x0000 ${HOSTILE_ESCAPED}`);
    expect(c).to.include(`<li>the target was asked nicely ${HOSTILE_ESCAPED}</li>`);
    // Evidence: direction, side, summary, dissection in a <details><pre>.
    expect(c).to.match(/<details class="packet" id="case-header-translation-checksum-pkt-1">\s*<summary>.*received.*IPv4.*\+0\.250 ms.*IPv4 packet 1/);
    expect(c).to.include(`<pre class="dissection">Data ${HOSTILE_ESCAPED}\n\\x01ctl</pre>`);
    expect(c).to.include('0000  60 00 00 00 00 0d 11 40  20 01 0d b8 00 00 00 00');
    // Check → packet links, and a packet the case does not have is not linked.
    expect(c).to.include('<a href="#case-header-translation-checksum-pkt-0">#0</a> <a href="#case-header-translation-checksum-pkt-1">#1</a> #7');
    // Case configuration, with a hostile key and value.
    expect(c).to.include(`<dt>k${HOSTILE_ESCAPED}</dt>`);

    const na = section(html, 'case-icmp-query-echo-na');
    expect(na).to.include('<div class="reason r-na"><b>Not applicable:</b> the target does not translate ICMP</div>');
    const err = section(html, 'case-icmp-query-id_rewrite');
    expect(err).to.include(`<div class="reason r-error"><b>Harness error:</b> harness error: timeout ${HOSTILE_ESCAPED}</div>`);
    expect(err).to.include('<span class="badge s-error"');
  });

  it('shows each check with its score, level and a field table where mismatches are highlighted', () => {
    const c1 = section(html, 'case-header-translation-checksum-check-1');
    expect(c1).to.include('class="check s-fail"');
    expect(c1).to.include('<span class="lvl l-must">MUST</span>');
    expect(c1).to.include('<details class="fields" open>');
    expect(c1).to.include('2 fields of 4 did not match');
    expect(c1.match(/<tr class="mismatch">/g)).to.have.length(2);
    expect(c1.match(/<tr class="match">/g)).to.have.length(2);
    const bad = c1.slice(c1.indexOf('<tr class="mismatch">'), c1.indexOf('</tr>', c1.indexOf('<tr class="mismatch">')));
    expect(bad).to.include('<code>udp.checksum</code>');
    expect(bad).to.include('0x1234 (valid)');
    expect(bad).to.include('0x0000');
    expect(bad).to.include(`<div class="fnote">note ${HOSTILE_ESCAPED}</div>`);
    expect(bad).to.include('class="ok-n"');

    const warn = section(html, 'case-header-translation-checksum-check-2');
    expect(warn).to.include('class="check s-warn"');
    expect(warn).to.include('<span class="badge s-warn" title="SHOULD-class failure: a warning, does not fail the target">WARN</span>');
    expect(warn.match(/<tr class="mismatch">/g)).to.have.length(1);

    // A passing comparison is folded away, and has no highlighted row.
    const ok = section(html, 'case-header-translation-ttl-decrement-check-1');
    expect(ok).to.include('<details class="fields">');
    expect(ok).to.include('2 fields, all as expected');
    expect(ok).not.to.include('mismatch');

    const may = section(html, 'case-header-translation-ttl-decrement-check-3');
    expect(may).to.include('<span class="badge s-behaviour" title="MAY: behaviour reported, not scored">BEHAVIOUR</span>');

    // Every mismatching field in the run is highlighted, and only those.
    const total = fixture().cases.flatMap((c) => c.checks).flatMap((k) => k.fields ?? []).filter((f) => !f.ok).length;
    expect(html.match(/<tr class="mismatch">/g)).to.have.length(total);
  });

  it('escapes everything that comes from packets or targets', () => {
    // The only <script> is the report's own; no hostile markup survives anywhere, in text or attributes.
    expect(html.match(/<script/g)).to.have.length(1);
    expect(html).not.to.include('alert(1)</script>');
    expect(html).not.to.include('"quoted"');
    expect(html).not.to.include('& more');
    expect(html).to.include(`UDP checksum ${HOSTILE_ESCAPED}`);
    // In attributes: the search text and the chip titles.
    expect(html).to.include(`data-search="header-translation/checksum udp checksum ${HOSTILE_ESCAPED} r-csum r-tc"`);
    expect(html).to.include(`title="R-CSUM (MUST) FAIL: checksum ${HOSTILE_ESCAPED}"`);
    // Control characters never reach the document.
    // eslint-disable-next-line no-control-regex
    expect(html).not.to.match(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it('links each case to its pcap, and drops links that are not plain URLs', () => {
    expect(section(html, 'case-header-translation-checksum')).to.include(
      '<a class="pcap" href="pcap/header-translation--checksum.pcap" download>pcap: pcap/header-translation--checksum.pcap</a>',
    );
    expect(section(html, 'case-header-translation-ttl-decrement')).to.include('href="pcap/header-translation--ttl-decrement.pcap"');
    expect(section(html, 'case-header-translation-fragment-id')).not.to.include('class="pcap"');
    expect(html).not.to.match(/href="\s*javascript:/i);
    expect(html.match(/class="pcap"/g)).to.have.length(2);
    // Without pcapHref there are no pcap links at all.
    expect(renderReport(fixture(), { catalogue })).not.to.include('class="pcap"');
  });

  it('gives unique anchors, and every in-page link has a target', () => {
    const all = ids(html);
    expect(new Set(all).size).to.equal(all.length);
    expect(all).to.include('case-icmp-query-id_rewrite');
    expect(all).to.include('case-icmp-query-id_rewrite-2');
    for (const a of all) expect(a).to.match(/^[A-Za-z0-9_-]+$/);
    const targets = new Set(all);
    for (const m of html.matchAll(/href="#([^"]*)"/g)) expect(targets.has(m[1]), `#${m[1]}`).to.equal(true);
    // The colliding case's checks follow its own anchor.
    expect(section(html, 'case-icmp-query-id_rewrite-2')).to.include('id="case-icmp-query-id_rewrite-2-check-1"');
  });

  it('shows requirements the catalogue does not know, and never throws on them', () => {
    const f = section(html, 'case-icmp-query-id_rewrite-2');
    expect(f).to.include('<code>R-UNKNOWN</code> <span class="muted">not in the requirement catalogue</span>');
    // The table row still shows the check's own level.
    expect(section(html, 'suite-icmp-query')).to.include('<code>R-UNKNOWN</code> <span class="lvl l-should">RECOMMENDED</span>');
    const throwing = renderReport(fixture(), {
      catalogue: () => {
        throw new Error('catalogue is broken <b>');
      },
    });
    expect(throwing).to.include('catalogue is broken &lt;b&gt;');
    // The default lookup (the project catalogue) copes with ids it does not have.
    expect(() => renderReport(fixture(), {})).not.to.throw();
  });

  it('lists MUST failures, errors and warnings as findings, worst first', () => {
    const f = section(html, 'findings');
    const scores = [...f.matchAll(/<td class="c-badge"><span class="badge s-(\w+)"/g)].map((m) => m[1]);
    expect(scores).to.deep.equal(['fail', 'fail', 'error', 'warn', 'warn']);
    expect(f).to.include('href="#case-header-translation-checksum-check-1"');
  });

  it('reads without JavaScript: the filter bar is hidden until the script shows it', () => {
    expect(html).to.match(/<div id="filter" class="filter" hidden>/);
    // All details and data are in the markup; nothing is built by the script.
    expect(html.match(/<section class="case /g)).to.have.length(6);
  });

  it('formats durations', () => {
    expect(formatDuration(12)).to.equal('12 ms');
    expect(formatDuration(1500)).to.equal('1.5 s');
    expect(formatDuration(83_500)).to.equal('1 min 24 s');
    expect(formatDuration(3_723_000)).to.equal('1 h 2 min 3 s');
  });
});
