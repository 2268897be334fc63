/**
 * DNS64 throughput: queries per second that dnsperf gets from the project's
 * own DNS64 daemon and from BIND, Unbound, PowerDNS Recursor and Knot
 * Resolver, all in the same DNS lab with the same upstream (the harness
 * authority), every query an AAAA that has to be synthesised.
 *
 *  - cache-hit: the same few names over and over (answers from the cache);
 *  - cache-miss: every name new (`<n>.a.fresh.dns64.test`, a wildcard), so
 *    each query costs the server an upstream AAAA and A. The authority is a
 *    single Node process, which bounds these figures alike for all servers.
 *
 * A benchmark, not a test: figures vary with the machine and its load.
 * Standalone: node dist/bench/dns.js [--quick] [--duration S]
 */
import * as dnsPacket from 'dns-packet';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { acquireDnsLab, DnsLab } from '../harness/dns/dns-lab';
import { DNS, NAMES } from '../harness/dns/names';
import { makeDns64Target } from '../harness/dns-targets';
import { hasBinary, LAB_PREFIX } from '../harness/dns-targets/server-process';
import { LabUnavailable } from '../harness/lab/netns';
import { runTeardown } from '../harness/lab/teardown';
import { embed } from '../harness/packet/rfc6052';

export interface DnsBenchOptions {
  /** Seconds per measurement (default 10; quick: 2). */
  durationS?: number;
  quick?: boolean;
  /** Where the table and progress go (default stderr, since bench/run.ts prints JSON on stdout). */
  log?: (line: string) => void;
}

export interface DnsBenchRow {
  server: string;
  version?: string;
  workload: 'cache-hit' | 'cache-miss';
  qps?: number;
  completed?: number;
  lost?: number;
  /** Mean latency in milliseconds, as dnsperf reports it. */
  latencyMs?: number;
  /** Response codes and their share, e.g. { NOERROR: 100 }. */
  rcodes?: Record<string, number>;
  /** Why there is no figure. */
  skipped?: string;
}

export interface DnsBenchResult {
  durationS: number;
  clients: number;
  rows: DnsBenchRow[];
  /** Why the whole benchmark did not run. */
  skipped?: string;
}

const CACHE_HIT_NAMES = [NAMES.aOnly.name, NAMES.aMulti.name, NAMES.mappedA.name, NAMES.cname1.name].map((n) => `${n}.${DNS.zone}`);

/** The servers measured, by their DNS64 target names; the own one as a daemon on real sockets like the rest. */
const SERVERS = ['own-daemon', 'bind', 'unbound', 'pdns', 'knot'];

/** Parses dnsperf's summary. */
export function parseDnsperf(out: string): Pick<DnsBenchRow, 'qps' | 'completed' | 'lost' | 'latencyMs' | 'rcodes'> {
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(out);
    return m ? Number(m[1]) : undefined;
  };
  const rcodes: Record<string, number> = {};
  const codes = /Response codes:\s*(.*)/.exec(out)?.[1] ?? '';
  for (const m of codes.matchAll(/([A-Z]+) \d+ \(([\d.]+)%\)/g)) rcodes[m[1]] = Number(m[2]);
  const lat = num(/Average Latency \(s\):\s*([\d.]+)/);
  return {
    qps: num(/Queries per second:\s*([\d.]+)/),
    completed: num(/Queries completed:\s*(\d+)/),
    lost: num(/Queries lost:\s*(\d+)/),
    latencyMs: lat === undefined ? undefined : Math.round(lat * 1e6) / 1e3,
    rcodes,
  };
}

/** A query file: one "name AAAA" line per query. */
function writeQueries(file: string, names: string[]): void {
  fs.writeFileSync(file, names.map((n) => `${n} AAAA\n`).join(''));
}

/** One synthesised AAAA answered with the lab prefix, or the reason the server is not benchmarked. */
async function checkSynthesis(lab: DnsLab, port: number): Promise<string | undefined> {
  const q = dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'AAAA', name: CACHE_HIT_NAMES[0] }] });
  const r = await lab.query({ address: DNS.resolverAddress, port }, q, { transport: 'udp', timeoutMs: 3000 });
  if (!r.bytes) return 'no answer to AAAA a-only.dns64.test';
  const answers = (dnsPacket.decode(r.bytes).answers ?? []).filter((a) => a.type === 'AAAA').map((a) => String((a as { data: string }).data));
  const want = embed(LAB_PREFIX, NAMES.aOnly.a[0]);
  return answers.includes(want) ? undefined : `AAAA a-only.dns64.test gave ${answers.join(', ') || 'no AAAA'}, not ${want}`;
}

export async function runDnsBench(opts: DnsBenchOptions = {}): Promise<DnsBenchResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const durationS = opts.durationS ?? (opts.quick ? 2 : 10);
  const clients = 8;
  const result: DnsBenchResult = { durationS, clients, rows: [] };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    result.skipped = 'needs root (the DNS lab is a network namespace)';
    return result;
  }
  if (!hasBinary('dnsperf')) {
    result.skipped = 'dnsperf not installed: apt-get install dnsperf';
    return result;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-dnsperf-'));
  let lease: { lab: DnsLab; release: () => Promise<void> } | undefined;
  try {
    lease = await acquireDnsLab();
    const lab = lease.lab;
    // Logging every upstream query back to the harness would slow the authority for no one.
    await lab.logUpstream(false);
    const hitFile = path.join(work, 'hit.txt');
    writeQueries(hitFile, CACHE_HIT_NAMES);
    // Enough fresh names that no run wraps around at any rate this machine reaches.
    const missCount = Math.max(20000, durationS * 60000);
    for (const name of SERVERS) {
      const target = makeDns64Target(name);
      const port = DNS.ports[name === 'own-daemon' ? 'own' : name];
      const skip = (reason: string): void => {
        for (const workload of ['cache-hit', 'cache-miss'] as const) result.rows.push({ server: name, workload, skipped: reason });
        log(`dns bench: ${name}: skipped: ${reason}`);
      };
      try {
        const version = (await target.describe()).version;
        await target.open({});
        const bad = await checkSynthesis(lab, port);
        if (bad) {
          skip(bad);
          continue;
        }
        const missFile = path.join(work, `miss-${name}.txt`);
        const tag = Math.floor(Math.random() * 36 ** 4).toString(36);
        writeQueries(missFile, Array.from({ length: missCount }, (_, i) => `${name}${tag}-${i}.${NAMES.freshA.suffix}.${DNS.zone}`));
        for (const [workload, file, maxRuns] of [['cache-hit', hitFile, 0], ['cache-miss', missFile, 1]] as const) {
          log(`dns bench: ${name} ${workload} (${durationS} s)`);
          const argv = ['dnsperf', '-s', DNS.resolverAddress, '-p', String(port), '-d', file, '-l', String(durationS), '-c', String(clients), '-T', String(Math.min(clients, os.cpus().length)), '-q', '200', '-t', '2'];
          if (maxRuns) argv.push('-n', String(maxRuns));
          const { stdout } = await lab.ns.exec(argv, { timeoutMs: (durationS + 30) * 1000 });
          result.rows.push({ server: name, version, workload, ...parseDnsperf(stdout) });
        }
      } catch (e) {
        skip(e instanceof LabUnavailable ? e.message : (e as Error).message.split('\n')[0]);
      } finally {
        await target.shutdown();
      }
    }
    log(formatDnsBench(result));
  } catch (e) {
    result.skipped = (e as Error).message.split('\n')[0];
  } finally {
    await lease?.release();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return result;
}

/** The result as a plain-text table. */
export function formatDnsBench(r: DnsBenchResult): string {
  if (r.skipped) return `DNS64 benchmark skipped: ${r.skipped}`;
  const head = ['server', 'workload', 'queries/s', 'completed', 'lost', 'latency ms', 'rcodes'];
  const rows = r.rows.map((x) =>
    x.skipped
      ? [x.server, x.workload, '-', '-', '-', '-', `skipped: ${x.skipped}`]
      : [x.server, x.workload, x.qps?.toFixed(0) ?? '?', String(x.completed ?? '?'), String(x.lost ?? '?'), x.latencyMs?.toFixed(3) ?? '?', Object.entries(x.rcodes ?? {}).map(([k, v]) => `${k} ${v}%`).join(' ')],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 && i <= 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [`DNS64 with dnsperf: ${r.durationS} s per run, ${r.clients} clients, AAAA queries synthesised from A (prefix ${LAB_PREFIX})`, line(head), ...rows.map(line)].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const d = args.indexOf('--duration');
  const durationS = d >= 0 ? Number(args[d + 1]) : undefined;
  if (durationS !== undefined && !(durationS > 0)) {
    process.stderr.write('bench/dns: --duration needs a number of seconds\n');
    process.exit(2);
  }
  runDnsBench({ quick: args.includes('--quick'), durationS, log: (l) => process.stdout.write(`${l}\n`) })
    .then(async (r) => {
      if (r.skipped) process.stdout.write(`${formatDnsBench(r)}\n`);
      await runTeardown();
    })
    .catch(async (e: Error) => {
      process.stderr.write(`bench/dns: ${e.message.split('\n')[0]}\n`);
      await runTeardown();
      process.exit(1);
    });
}
