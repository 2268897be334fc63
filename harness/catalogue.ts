/**
 * The project's requirement catalogue (fixtures/catalogue/<rfc>.tsv): one row
 * per normative requirement, with the ids of the reference catalogue so
 * coverage can be compared.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Level } from './results/types';

export type Testability = 'black-box' | 'config' | 'observe' | 'untestable';

export interface Requirement {
  id: string;
  rfc: string;
  section: string;
  level: Level;
  suite: string;
  testability: Testability;
  statement: string;
}

const LEVELS: Level[] = ['MUST', 'MUST NOT', 'SHOULD', 'SHOULD NOT', 'RECOMMENDED', 'MAY'];
const TESTABILITY: Testability[] = ['black-box', 'config', 'observe', 'untestable'];
const HEADER = ['id', 'rfc', 'section', 'level', 'suite', 'testability', 'statement'];

export class CatalogueError extends Error {}

export function catalogueDir(): string {
  // dist/harness/catalogue.js and harness/catalogue.ts both sit two levels below the root's fixtures/.
  const fromDist = path.resolve(__dirname, '..', '..', 'fixtures', 'catalogue');
  return fs.existsSync(fromDist) ? fromDist : path.resolve(__dirname, '..', 'fixtures', 'catalogue');
}

export function parseCatalogue(text: string, file: string): Requirement[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.split('\t') ?? [];
  if (header.join('\t') !== HEADER.join('\t')) {
    throw new CatalogueError(`${file}:1: header must be "${HEADER.join('<TAB>')}"`);
  }
  return lines.map((line, i) => {
    const f = line.split('\t');
    const where = `${file}:${i + 2}`;
    if (f.length !== HEADER.length) throw new CatalogueError(`${where}: ${f.length} columns, expected ${HEADER.length}`);
    const [id, rfc, section, level, suite, testability, statement] = f;
    if (!LEVELS.includes(level as Level)) throw new CatalogueError(`${where}: level "${level}" is not one of ${LEVELS.join(', ')}`);
    if (!TESTABILITY.includes(testability as Testability)) {
      throw new CatalogueError(`${where}: testability "${testability}" is not one of ${TESTABILITY.join(', ')}`);
    }
    return { id, rfc, section, level: level as Level, suite, testability: testability as Testability, statement };
  });
}

let cached: Map<string, Requirement> | undefined;

/** All requirements by id (loaded once). */
export function loadCatalogue(dir = catalogueDir()): Map<string, Requirement> {
  if (cached && dir === catalogueDir()) return cached;
  const map = new Map<string, Requirement>();
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.tsv')).sort() : [];
  for (const f of files) {
    for (const r of parseCatalogue(fs.readFileSync(path.join(dir, f), 'utf8'), path.join('fixtures/catalogue', f))) {
      if (map.has(r.id)) throw new CatalogueError(`fixtures/catalogue/${f}: duplicate id ${r.id}`);
      map.set(r.id, r);
    }
  }
  if (dir === catalogueDir()) cached = map;
  return map;
}

export function requirement(id: string): Requirement {
  const r = loadCatalogue().get(id);
  if (!r) throw new CatalogueError(`unknown requirement id "${id}" (not in fixtures/catalogue/)`);
  return r;
}

/** MUST/MUST NOT failures fail the target; SHOULD-class failures warn; MAY is behaviour. */
export function levelClass(level: Level): 'must' | 'should' | 'may' {
  if (level === 'MUST' || level === 'MUST NOT') return 'must';
  if (level === 'MAY') return 'may';
  return 'should';
}
