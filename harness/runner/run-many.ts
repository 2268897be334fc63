/**
 * Several targets in turn, then their comparison: OUT/<target>/ holds each
 * run exactly as a single run writes it, OUT/compare/ the comparison page.
 * Targets run one after another, never together: network labs share names
 * and addresses, and a timing-sensitive case should not compete for the CPU.
 */
import * as path from 'path';
import { writeComparison } from '../compare/write';
import type { WrittenComparison } from '../compare/write';
import type { Target } from '../lab/target';
import { writeRun } from '../results/write';
import type { RunResult } from '../results/types';
import { makeTarget } from '../targets';
import type { TargetOptions } from '../targets';
import { runTarget } from './run';
import type { RunOptions } from './run';

export const COMPARE_DIR = 'compare';

/** One folder name per target: the name made safe for a path, numbered when a target appears twice. */
export function targetDirs(names: string[]): string[] {
  const used = new Set<string>([COMPARE_DIR]);
  return names.map((name) => {
    const base = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || 'target';
    let dir = base;
    for (let n = 2; used.has(dir); n++) dir = `${base}-${n}`;
    used.add(dir);
    return dir;
  });
}

export interface ManyRun {
  name: string;
  dir: string;
  run: RunResult;
  files: { json: string; junit: string; html: string };
}

export interface RunManyOptions extends RunOptions {
  target?: TargetOptions;
  /** Called after each target's outputs are written (progress for the command line). */
  onRun?: (r: ManyRun) => void;
  /** Builds targets; the named targets of harness/targets by default. */
  make?: (name: string, opts: TargetOptions) => Target;
}

export async function runMany(names: string[], outRoot: string, opts: RunManyOptions = {}): Promise<{ runs: ManyRun[]; comparison: WrittenComparison }> {
  const make = opts.make ?? makeTarget;
  return runEach(names, outRoot, opts.onRun, async (name) => {
    const target = make(name, opts.target ?? {});
    try {
      return await runTarget(target, opts);
    } finally {
      await target.shutdown();
    }
  });
}

/**
 * The loop shared by NAT64 and DNS64 runs: `runOne` runs one named target
 * (and releases it); each run is written to OUT/<target>/, then compared.
 */
export async function runEach(
  names: string[],
  outRoot: string,
  onRun: ((r: ManyRun) => void) | undefined,
  runOne: (name: string) => Promise<RunResult>,
): Promise<{ runs: ManyRun[]; comparison: WrittenComparison }> {
  const dirs = targetDirs(names);
  const runs: ManyRun[] = [];
  for (let i = 0; i < names.length; i++) {
    const run = await runOne(names[i]);
    const dir = path.join(outRoot, dirs[i]);
    const r: ManyRun = { name: names[i], dir, run, files: writeRun(run, dir) };
    runs.push(r);
    onRun?.(r);
  }
  const comparison = writeComparison(
    runs.map((r) => ({ run: r.run, file: r.files.json })),
    path.join(outRoot, COMPARE_DIR),
  );
  return { runs, comparison };
}
