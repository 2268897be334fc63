/**
 * Reading the results.json files a comparison is built from. A comparison is
 * often run over files from other machines or older versions, so each file is
 * checked for the fields the comparison relies on and a mistake is reported
 * as one line that names the file and the fix.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { RunResult } from '../results/types';

export const RESULTS_SCHEMA = 'nat64lab-results/1';

export class CompareInputError extends Error {}

export interface LoadedRun {
  run: RunResult;
  /** Absolute path of the results.json. */
  file: string;
}

const REGENERATE = "write it again with 'nat64lab run'";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first field the comparison needs that is missing or of the wrong type, as a JSON path; undefined when the run is usable. */
export function schemaProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'the top level is not an object';
  if (!isObject(v.target) || typeof v.target.name !== 'string') return 'target.name is missing';
  if (!Array.isArray(v.cases)) return 'cases is not a list';
  for (let i = 0; i < v.cases.length; i++) {
    const c: unknown = v.cases[i];
    if (!isObject(c)) return `cases[${i}] is not an object`;
    for (const f of ['suite', 'id', 'verdict']) if (typeof c[f] !== 'string') return `cases[${i}].${f} is missing`;
    if (!Array.isArray(c.checks)) return `cases[${i}].checks is not a list`;
    for (let j = 0; j < c.checks.length; j++) {
      const k: unknown = c.checks[j];
      if (!isObject(k)) return `cases[${i}].checks[${j}] is not an object`;
      for (const f of ['requirement', 'level', 'verdict', 'score', 'label', 'detail']) {
        if (typeof k[f] !== 'string') return `cases[${i}].checks[${j}].${f} is missing`;
      }
    }
  }
  return undefined;
}

/** Accepts a results.json or the folder a run wrote (which holds one). */
export function resolveResultsPath(arg: string): string {
  const abs = path.resolve(arg);
  try {
    if (fs.statSync(abs).isDirectory()) return path.join(abs, 'results.json');
  } catch {
    // Missing: reported by loadRun with the path as given.
  }
  return abs;
}

export function loadRun(arg: string): LoadedRun {
  const file = resolveResultsPath(arg);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e));
    throw new CompareInputError(`${file}: cannot read it (${why}); give the results.json a run wrote (nat64lab run --out DIR writes DIR/results.json)`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
    throw new CompareInputError(`${file}: not JSON (${msg}); give the results.json a run wrote`);
  }
  const schema = isObject(v) ? v.schema : undefined;
  if (schema !== RESULTS_SCHEMA) {
    const seen = typeof schema === 'string' ? `schema "${schema}"` : 'no "schema" field';
    throw new CompareInputError(`${file}: not a nat64lab results.json (${seen}, expected "${RESULTS_SCHEMA}"); ${REGENERATE}`);
  }
  const problem = schemaProblem(v);
  if (problem) throw new CompareInputError(`${file}: ${problem}, as the ${RESULTS_SCHEMA} schema requires; ${REGENERATE}`);
  return { run: v as RunResult, file };
}
