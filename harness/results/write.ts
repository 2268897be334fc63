/** Writes a run's outputs: results.json, junit.xml, index.html and one pcap per case. */
import * as fs from 'fs';
import * as path from 'path';
import { PcapWriter } from '../packet/pcap';
import { renderReport } from '../report/html';
import { evidenceFrames } from '../runner/run-case';
import { renderJUnit } from './junit';
import type { CaseResult, RunResult } from './types';

export function pcapName(c: { suite: string; id: string }): string {
  return `${c.suite}--${c.id}`.replace(/[^A-Za-z0-9._-]/g, '_') + '.pcap';
}

export function writeRun(run: RunResult, outDir: string): { json: string; junit: string; html: string } {
  fs.mkdirSync(path.join(outDir, 'pcap'), { recursive: true });
  for (const c of run.cases) {
    if (!c.evidence.length) continue;
    const w = new PcapWriter();
    for (const f of evidenceFrames(c)) w.add({ data: f.data, timestampUs: f.timestampUs, comment: f.comment });
    c.pcap = `pcap/${pcapName(c)}`;
    fs.writeFileSync(path.join(outDir, c.pcap), w.toBuffer());
  }
  const json = path.join(outDir, 'results.json');
  const junit = path.join(outDir, 'junit.xml');
  const html = path.join(outDir, 'index.html');
  fs.writeFileSync(json, JSON.stringify(run, null, 1));
  fs.writeFileSync(junit, renderJUnit(run));
  fs.writeFileSync(html, renderReport(run, { pcapHref: (c: CaseResult) => c.pcap }));
  return { json, junit, html };
}
