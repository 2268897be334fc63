/** DNS64 targets by name, as `--target` names them for DNS64 runs. */
import { DNS64_FAULTS, isDns64Fault } from '../../engine/dns64';
import type { Dns64Target } from '../dns/types';
import { OwnDns64Target } from './own';
import { makeOwnDaemonTarget } from './own-daemon';
import { makeBindTarget } from './bind';
import { makeKnotTarget } from './knot';
import { makePdnsTarget } from './pdns';
import { makeUnboundTarget } from './unbound';

export interface Dns64TargetOptions {
  /** Named DNS64 faults (engine/dns64/faults.ts); only the own DNS64 has them. */
  faults?: string[];
  seed?: number;
}

export const DNS64_TARGET_NAMES: string[] = ['own', 'own-daemon', 'bind', 'unbound', 'pdns', 'knot'];

export class UnknownDns64TargetError extends Error {}

function noFaults(name: string, opts: Dns64TargetOptions): void {
  if (opts.faults?.length) throw new UnknownDns64TargetError(`--fault: faults exist only on the own DNS64 (own, own-daemon), not on ${name}`);
}

/** A misspelt fault is an error up front, not a run in which every case is na. */
function knownFaults(opts: Dns64TargetOptions): string[] {
  for (const f of opts.faults ?? []) {
    if (!isDns64Fault(f)) throw new UnknownDns64TargetError(`--fault: unknown DNS64 fault "${f}"; known: ${DNS64_FAULTS.map((x) => x.name).join(', ')}`);
  }
  return opts.faults ?? [];
}

export function makeDns64Target(name: string, opts: Dns64TargetOptions = {}): Dns64Target {
  switch (name) {
    case 'own':
      return new OwnDns64Target({ faults: knownFaults(opts), seed: opts.seed });
    case 'own-daemon':
      return makeOwnDaemonTarget({ faults: knownFaults(opts) });
    // Third-party servers: one case each, faults refused.
    case 'bind':
      noFaults(name, opts);
      return makeBindTarget();
    case 'unbound':
      noFaults(name, opts);
      return makeUnboundTarget();
    case 'pdns':
      noFaults(name, opts);
      return makePdnsTarget();
    case 'knot':
      noFaults(name, opts);
      return makeKnotTarget();
    default:
      noFaults(name, opts);
      throw new UnknownDns64TargetError(`--target: unknown DNS64 target "${name}"; known: ${DNS64_TARGET_NAMES.join(', ')}`);
  }
}
