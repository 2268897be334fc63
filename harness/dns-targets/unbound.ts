/**
 * Unbound as a DNS64 target. One `dns64-prefix` (any RFC 6052 length up to
 * /96, per the unbound.conf manual); no per-range prefixes and no address
 * exclusion list (`dns64-ignore-aaaa` takes names, not ranges). Without a
 * prefix it uses 64:ff9b::/96. Cache emptied with `unbound-control flush_zone .`.
 */
import { DNS } from '../dns/names';
import type { Dns64Target } from '../dns/types';
import { unboundPlan } from './unbound-config';
import { ResolverTarget, runTool, ServerDriver } from './server-process';

export const unboundDriver: ServerDriver = {
  name: 'unbound',
  binary: 'unbound',
  pkg: 'unbound',
  capabilities: { prefixLengths: [32, 40, 48, 56, 64, 96], perRangePrefixes: false, exclusionConfig: false, validation: true, virtualClock: false, unsetPrefix: true },
  queryFrom: '127.0.0.12',
  versionArgv: ['unbound', '-V'],
  check() {},
  plan: unboundPlan,
  async flush(run) {
    const conf = `${run.dir}/unbound.conf`;
    // flush_zone takes records, messages and keys; flush_infra the per-server state; flush_bogus the failed validations.
    await runTool('unbound-control', ['-c', conf, 'flush_zone', '.']);
    await runTool('unbound-control', ['-c', conf, 'flush_bogus']);
    await runTool('unbound-control', ['-c', conf, 'flush_infra', 'all']);
  },
};

export function makeUnboundTarget(): Dns64Target {
  return new ResolverTarget(unboundDriver, DNS.ports.unbound);
}
