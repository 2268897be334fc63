/**
 * `npm run bench` (or `node dist/bench/run.js [--quick]`): in one run,
 *   - the in-process NAT64 engine's phases (packets/s and CPU per packet);
 *   - on TUN (root, TAYGA installed): the forwarding rate and latency of the
 *     own engine daemon and of TAYGA in the same lab, their ratio, and the
 *     harness's own send and capture rates (bench/tun.ts);
 *   - DNS64 queries/s with dnsperf, cache-hit and cache-miss, for the own
 *     DNS64 and BIND, Unbound, PowerDNS Recursor, Knot Resolver (bench/dns.ts).
 * A phase whose prerequisites are missing is skipped with the reason in the
 * report. Prints one JSON document on stdout; progress goes to stderr. A
 * benchmark, not a test: figures vary with the machine and its load.
 * `--engine-only` keeps to the in-process phases (about 15-25 s, `--quick` 3 s).
 *
 * Scale phases, only when asked for (they replace the standard phases):
 *   --fuzz [N]      N fuzzed packets from both sides (default 10,000,000):
 *                   packets/s, exceptions, heap before / after / after expiry
 *   --sessions [N]  N concurrent UDP sessions (default 1,000,000): heap per
 *                   session, creation rate, lookup rates on established flows
 *   --scale         both, at their defaults (a few minutes); give V8 room:
 *                   node --max-old-space-size=8192 dist/bench/run.js --scale
 */
import { formatDnsBench, runDnsBench } from './dns';
import { PROFILES, runAll, runScale } from './measure';
import { runTunBench } from './tun';

const USAGE = `usage: node dist/bench/run.js [--quick] [--engine-only] | [--fuzz [N]] [--sessions [N]] | --scale
  --quick          short run of every phase
  --engine-only    only the in-process engine phases (no TUN lab, no DNS64 servers)
  --fuzz [N]       N fuzzed packets through one translator (default 10000000)
  --sessions [N]   N concurrent UDP sessions, then lookups on them (default 1000000)
  --scale          --fuzz and --sessions at their defaults; run with node --max-old-space-size=8192
`;

interface Args {
  quick: boolean;
  engineOnly: boolean;
  fuzz?: number;
  sessions?: number;
}

function parse(args: string[]): Args | string {
  const out: Args = { quick: false, engineOnly: false };
  const count = (i: number, dflt: number): [number, number] => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) return [dflt, i];
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${args[i]}: ${JSON.stringify(v)} is not a positive whole number`);
    return [n, i + 1];
  };
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--quick') out.quick = true;
      else if (a === '--engine-only') out.engineOnly = true;
      else if (a === '--fuzz') [out.fuzz, i] = count(i, 10_000_000);
      else if (a === '--sessions') [out.sessions, i] = count(i, 1_000_000);
      else if (a === '--scale') {
        out.fuzz ??= 10_000_000;
        out.sessions ??= 1_000_000;
      } else return `unknown argument ${a}`;
    }
  } catch (e) {
    return (e as Error).message;
  }
  if (out.quick && (out.fuzz || out.sessions)) return '--quick does not combine with --fuzz, --sessions or --scale';
  return out;
}

async function main(argv: string[]): Promise<number> {
  const args = argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const a = parse(args);
  if (typeof a === 'string') {
    process.stderr.write(`bench: ${a}\n${USAGE}`);
    return 2;
  }
  if (a.fuzz !== undefined || a.sessions !== undefined) {
    const report = runScale({
      ...(a.fuzz !== undefined ? { fuzz: { packets: a.fuzz } } : {}),
      ...(a.sessions !== undefined ? { sessions: { sessions: a.sessions } } : {}),
    });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const f = report.results.fuzz;
    if (f && (f.exceptions || f.internalErrors)) process.stderr.write(`bench: warning: fuzz: ${f.exceptions} exceptions, ${f.internalErrors} internal errors: ${f.firstError}\n`);
    const s = report.results.sessions;
    if (s && (s.creation.unexpected || s.lookup6to4.unexpected || s.lookup4to6.unexpected)) {
      process.stderr.write(`bench: warning: sessions: packets not translated 1:1 (creation ${s.creation.unexpected}, 6->4 ${s.lookup6to4.unexpected}, 4->6 ${s.lookup4to6.unexpected})\n`);
    }
    return 0;
  }
  const profile = a.quick ? PROFILES.quick : PROFILES.full;
  const report = runAll(profile);
  const bad = Object.values(report.results).filter((r) => r.unexpected > 0);
  for (const r of bad) process.stderr.write(`bench: warning: ${r.name}: ${r.unexpected} of ${r.packets} packets not translated 1:1\n`);
  if (a.engineOnly) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  process.stderr.write('bench: TUN lab: own engine daemon and TAYGA\n');
  const tun = await runTunBench({ quick: a.quick });
  if (tun.skipped) process.stderr.write(`bench: TUN lab skipped: ${tun.skipped}\n`);
  else {
    process.stderr.write(
      `bench: TUN lab: own/TAYGA packets/s ratio ${tun.ratioOwnOverTayga?.toFixed(2)}, CPU per packet ${tun.cpuRatioOwnOverTayga?.toFixed(2)}, ` +
        `median latency ${tun.latencyRatioOwnOverTayga?.toFixed(2)} (${tun.latencyRatioBusyPollOverTayga?.toFixed(2)} with busy polling)\n`,
    );
  }
  process.stderr.write('bench: DNS64 servers with dnsperf\n');
  const dns = await runDnsBench({ quick: a.quick });
  if (dns.skipped) process.stderr.write(`bench: DNS64 skipped: ${dns.skipped}\n`);
  else process.stderr.write(`${formatDnsBench(dns)}\n`);
  process.stdout.write(`${JSON.stringify({ ...report, tun, dns64: dns }, null, 2)}\n`);
  return 0;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
