/**
 * PowerDNS Recursor as a DNS64 target. `dns64-prefix` takes one /96 prefix
 * (the recursor refuses other lengths at start); no per-range prefixes, no
 * exclusion setting, no DNS64 without a prefix. Cache emptied with
 * `rec_control wipe-cache`.
 */
import { DNS } from '../dns/names';
import type { Dns64Target } from '../dns/types';
import { pdnsPlan } from './pdns-config';
import { ResolverTarget, runTool, ServerDriver } from './server-process';

export const pdnsDriver: ServerDriver = {
  name: 'pdns',
  binary: 'pdns_recursor',
  pkg: 'pdns-recursor',
  capabilities: { prefixLengths: [96], perRangePrefixes: false, exclusionConfig: false, validation: true, virtualClock: false, unsetPrefix: false },
  queryFrom: '127.0.0.13',
  versionArgv: ['pdns_recursor', '--version'],
  check() {},
  plan: pdnsPlan,
  async flush(run) {
    // `.$` is everything at and below the root: record, negative and packet caches.
    await runTool('rec_control', [`--socket-dir=${run.dir}`, 'wipe-cache', '.$']);
  },
};

export function makePdnsTarget(): Dns64Target {
  return new ResolverTarget(pdnsDriver, DNS.ports.pdns);
}
