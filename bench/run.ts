/**
 * `npm run bench` (or `node dist/bench/run.js [--quick]`): throughput of the
 * in-process NAT64 engine. Prints one JSON document on stdout; progress
 * goes to stderr. A benchmark, not a test: figures vary with the machine
 * and its load. The full run takes about 15-25 s, `--quick` about 3 s.
 */
import { PROFILES, runAll } from './measure';

function main(argv: string[]): number {
  const args = argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write('usage: node dist/bench/run.js [--quick]\n  --quick  short smoke run (~3 s)\n');
    return 0;
  }
  const unknown = args.filter((a) => a !== '--quick');
  if (unknown.length) {
    process.stderr.write(`bench: unknown argument ${unknown[0]}; use --quick or nothing\n`);
    return 2;
  }
  const profile = args.includes('--quick') ? PROFILES.quick : PROFILES.full;
  const report = runAll(profile);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const bad = Object.values(report.results).filter((r) => r.unexpected > 0);
  for (const r of bad) process.stderr.write(`bench: warning: ${r.name}: ${r.unexpected} of ${r.packets} packets not translated 1:1\n`);
  return 0;
}

process.exitCode = main(process.argv);
