/**
 * Knot Resolver (kresd) as a DNS64 target. The dns64 module takes one /96
 * prefix (64:ff9b:: when none is given) and an exclusion list
 * (`exclude_subnets`); no per-range prefixes. Cache emptied with
 * `cache.clear()` on its control socket.
 */
import * as net from 'net';
import * as path from 'path';
import { DNS } from '../dns/names';
import type { Dns64Target } from '../dns/types';
import { knotPlan } from './knot-config';
import { ResolverTarget, ServerDriver } from './server-process';

/** Sends one Lua line to kresd's control socket and resolves with its first reply. */
function control(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socket);
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`kresd control socket ${socket}: no reply to ${command}`));
    }, 5000);
    let out = '';
    c.on('connect', () => c.write(`${command}\n`));
    c.on('data', (d) => {
      out += d.toString();
      // kresd greets with a prompt "> " and ends each reply with a new one.
      if (/\n> $/.test(out)) {
        clearTimeout(timer);
        c.end();
        resolve(out);
      }
    });
    c.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`kresd control socket ${socket}: ${e.message}`));
    });
  });
}

export const knotDriver: ServerDriver = {
  name: 'knot',
  binary: 'kresd',
  pkg: 'knot-resolver',
  prefixAsAddress: true,
  capabilities: { prefixLengths: [96], perRangePrefixes: false, exclusionConfig: true, validation: true, virtualClock: false, unsetPrefix: true },
  queryFrom: '127.0.0.14',
  versionArgv: ['kresd', '--version'],
  check() {},
  plan: knotPlan,
  async flush(run) {
    // `ip netns exec` replaces itself with kresd, so the child's pid names the control socket.
    await control(path.join(run.dir, 'control', String(run.child.pid)), 'cache.clear()');
  },
};

export function makeKnotTarget(): Dns64Target {
  return new ResolverTarget(knotDriver, DNS.ports.knot);
}
