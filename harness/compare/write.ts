/**
 * Writes a comparison: DIR/index.html (the page) and DIR/compare.json (the
 * same as data). Evidence links point from DIR to each run's own report, so
 * they are relative paths and keep working when the folders move together.
 */
import * as fs from 'fs';
import * as path from 'path';
import { renderComparison } from './html';
import { CompareInputError } from './load';
import type { LoadedRun } from './load';
import { buildComparison } from './model';
import type { Comparison } from './model';

const VERSION: string = require('../../../package.json').version;

/** The run's report (index.html beside its results.json) as a link from `outDir`, or undefined when there is none. */
export function reportHref(outDir: string, resultsFile: string): string | undefined {
  const dir = path.dirname(path.resolve(resultsFile));
  if (!fs.existsSync(path.join(dir, 'index.html'))) return undefined;
  const rel = path.relative(path.resolve(outDir), dir);
  const segments = rel ? rel.split(path.sep).map(encodeURIComponent) : [];
  return [...segments, 'index.html'].join('/');
}

export interface WrittenComparison {
  html: string;
  json: string;
  comparison: Comparison;
}

export function writeComparison(runs: LoadedRun[], outDir: string): WrittenComparison {
  const out = path.resolve(outDir);
  for (const r of runs) {
    // The page would replace that run's own report.
    if (path.dirname(r.file) === out) throw new CompareInputError(`--out ${outDir}: this folder holds ${r.file}; write the comparison to another folder`);
  }
  const comparison = buildComparison(
    runs.map((r) => ({ run: r.run, reportHref: reportHref(out, r.file), source: path.relative(out, r.file).split(path.sep).join('/') })),
  );
  fs.mkdirSync(out, { recursive: true });
  const html = path.join(out, 'index.html');
  const json = path.join(out, 'compare.json');
  fs.writeFileSync(html, renderComparison(comparison, { tool: `nat64lab ${VERSION}`, generatedAt: new Date().toISOString() }));
  fs.writeFileSync(json, JSON.stringify(comparison, null, 1));
  return { html, json, comparison };
}
