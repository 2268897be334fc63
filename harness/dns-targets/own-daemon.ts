/**
 * The `own-daemon` DNS64 target: the project's DNS64 as a real process
 * (`nat64lab dns64 --config FILE`) in the DNS lab namespace, on real sockets
 * and real time, next to the other resolvers. It runs the same core as the
 * in-process `own` target, so differences between the two point at the
 * socket layer. Configuration as for `own`; the lab's server-process
 * machinery starts, probes and stops it.
 */
import * as path from 'path';
import { DNS } from '../dns/names';
import type { Dns64Target } from '../dns/types';
import { OWN_CAPABILITIES } from './own';
import { ResolverTarget } from './server-process';
import type { LabSettings, ServerDriver, ServerPlan } from './server-process';

const VERSION: string = require('../../../package.json').version;

/** dist/bin/nat64lab.js, from dist/harness/dns-targets/. */
function cliPath(): string {
  return path.resolve(__dirname, '../../bin/nat64lab.js');
}

/**
 * The daemon cannot pick the source address of its upstream queries, so they
 * come from 127.0.0.1 (the kernel's choice towards 127.0.0.2); no other lab
 * server uses that address for upstream traffic.
 */
const QUERY_FROM = '127.0.0.1';

export function ownDaemonPlan(faults: string[]) {
  return (s: LabSettings): ServerPlan => {
    const config = {
      prefixes: s.prefixes,
      exclude: s.exclude,
      upstream: [{ address: DNS.authorityAddress, port: DNS.authorityPort }],
      dnssec: s.validate ? { validate: true, trustAnchors: [s.trustAnchor] } : { validate: false },
      acl: s.acl,
      listen: [{ address: DNS.resolverAddress, port: s.port }],
      faults,
    };
    return {
      files: { 'dns64.json': JSON.stringify(config, null, 2) + '\n' },
      argv: [process.execPath, cliPath(), 'dns64', '--config', path.join(s.dir, 'dns64.json')],
      mode: 'forward',
    };
  };
}

export function ownDaemonDriver(faults: string[] = []): ServerDriver {
  return {
    name: faults.length ? `own-daemon (faults: ${faults.join(', ')})` : 'own-daemon',
    binary: path.basename(process.execPath),
    pkg: 'nodejs',
    capabilities: { ...OWN_CAPABILITIES, virtualClock: false },
    queryFrom: QUERY_FROM,
    versionArgv: [process.execPath, '-e', `console.log(${JSON.stringify(`nat64lab dns64 ${VERSION} (daemon)`)})`],
    check() {},
    plan: ownDaemonPlan(faults),
  };
}

export function makeOwnDaemonTarget(opts: { faults?: string[] } = {}): Dns64Target {
  return new ResolverTarget(ownDaemonDriver(opts.faults ?? []), DNS.ports.own);
}
