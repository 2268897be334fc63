/**
 * BIND 9 (named) as a DNS64 target. Several Pref64s are several `dns64`
 * statements, each `mapped` to its IPv4 ranges (RFC 6147 §5.2); the
 * exclusion list is `exclude`. A `dns64` statement needs a prefix, so BIND
 * cannot run without one. Cache emptied between cases with `rndc flush`.
 */
import { DNS } from '../dns/names';
import type { Dns64Target } from '../dns/types';
import { bindPlan } from './bind-config';
import { ResolverTarget, ServerDriver } from './server-process';

export const bindDriver: ServerDriver = {
  name: 'bind',
  binary: 'named',
  pkg: 'bind9',
  capabilities: { prefixLengths: [32, 40, 48, 56, 64, 96], perRangePrefixes: true, exclusionConfig: true, validation: true, virtualClock: false, unsetPrefix: false },
  queryFrom: '127.0.0.11',
  versionArgv: ['named', '-v'],
  check() {},
  plan: bindPlan,
  async flush(run) {
    await run.lab.ns.exec(['rndc', '-c', `${run.dir}/rndc.conf`, 'flush']);
  },
};

export function makeBindTarget(): Dns64Target {
  return new ResolverTarget(bindDriver, DNS.ports.bind);
}
