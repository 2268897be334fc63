/** `nat64lab compare <results.json …> --out DIR`: several runs side by side in one page. */
import * as path from 'path';
import { CompareInputError, loadRun } from '../../harness/compare/load';
import { writeComparison } from '../../harness/compare/write';
import { parseOptions } from './args';
import { UsageError } from './usage-error';

export const COMPARE_HELP = [
  '  RESULTS       results.json files of earlier runs (or the folders holding them), one per target',
  '  --out DIR     output folder (default: out/compare)',
  'Writes DIR/index.html: scores per target, a behaviour card per target (mapping, filtering, ports,',
  'pooling, hairpinning, fragments, DF, ICMP error source, timers), the rows where the targets differ,',
  'then every requirement by suite; each cell links to the check in that target\'s own report.',
  'Also writes DIR/compare.json. Exit status: 0 when written, 2 on bad input.',
].join('\n');

export async function compareCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { out: { type: 'string' } }, 'compare');
  if (!positionals.length) throw new UsageError("compare: give the results.json of at least one run (e.g. out/engine/results.json); see 'nat64lab compare --help'");
  const out = path.resolve((values.out as string | undefined) ?? path.join('out', 'compare'));
  try {
    const runs = positionals.map(loadRun);
    const w = writeComparison(runs, out);
    const t = w.comparison.targets;
    process.stdout.write(
      `${t.map((x) => `${x.label}: MUST ${x.must.pass}/${x.must.total}, SHOULD ${x.should.pass}/${x.should.total}`).join('; ')}\n` +
        `${w.comparison.differing} requirement rows differ\ncomparison: ${w.html}\ndata: ${w.json}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof CompareInputError) throw new UsageError(`compare: ${err.message}`);
    throw err;
  }
}
