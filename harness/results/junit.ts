/** JUnit XML for CI: one testsuite per conformance suite, one testcase per check (case × requirement). */
import type { RunResult } from './types';

function esc(s: string): string {
  return s
    // XML 1.0 cannot carry most control characters at all, escaped or not.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function renderJUnit(run: RunResult): string {
  const suites = new Map<string, string[]>();
  const counts = new Map<string, { tests: number; failures: number; errors: number; skipped: number }>();
  for (const c of run.cases) {
    const lines = suites.get(c.suite) ?? [];
    const n = counts.get(c.suite) ?? { tests: 0, failures: 0, errors: 0, skipped: 0 };
    for (const k of c.checks) {
      n.tests++;
      const name = esc(`${c.id} ${k.requirement} (${k.level})`);
      const head = `    <testcase classname="${esc(`${c.suite}.${c.id}`)}" name="${name}" time="${(c.durationMs / 1000 / Math.max(1, c.checks.length)).toFixed(4)}">`;
      // Only MUST-class failures fail the build; SHOULD failures and MAY behaviour are reported as output.
      if (k.score === 'fail') {
        n.failures++;
        lines.push(`${head}\n      <failure message="${esc(k.detail)}" type="${esc(k.level)}">${esc(k.label)}: ${esc(k.detail)}</failure>\n    </testcase>`);
      } else if (k.score === 'error') {
        n.errors++;
        lines.push(`${head}\n      <error message="${esc(k.detail)}"/>\n    </testcase>`);
      } else if (k.score === 'na' || k.score === 'skip') {
        n.skipped++;
        lines.push(`${head}\n      <skipped message="${esc(k.detail)}"/>\n    </testcase>`);
      } else if (k.score === 'warn' || k.score === 'behaviour') {
        lines.push(`${head}\n      <system-out>${esc(`[${k.score}] ${k.label}: ${k.detail}`)}</system-out>\n    </testcase>`);
      } else {
        lines.push(`${head}</testcase>`);
      }
    }
    suites.set(c.suite, lines);
    counts.set(c.suite, n);
  }
  const body = [...suites.entries()].map(([s, lines]) => {
    const n = counts.get(s)!;
    return `  <testsuite name="${esc(s)}" tests="${n.tests}" failures="${n.failures}" errors="${n.errors}" skipped="${n.skipped}">\n${lines.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${esc(`nat64lab ${run.target.name}`)}" time="${(run.durationMs / 1000).toFixed(3)}">\n${body.join('\n')}\n</testsuites>\n`;
}
