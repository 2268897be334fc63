/** Targets by name, as `--target` names them. */
import { EngineTarget } from './engine';
import { EngineDaemonTarget } from './engine-daemon';
import { ExternalTarget } from './external';
import { JoolTarget } from './jool';
import { TaygaTarget } from './tayga';
import type { Target } from '../lab/target';

export interface TargetOptions {
  faults?: string[];
  seed?: number;
}

export const TARGET_NAMES = ['engine', 'engine-daemon', 'tayga', 'jool'] as const;

export class UnknownTargetError extends Error {}

export function makeTarget(name: string, opts: TargetOptions = {}): Target {
  // An external device is described by its target file: `external:path/to/device.json`.
  if (name === 'external' || name.startsWith('external:')) {
    const file = name.slice('external:'.length);
    if (!file) throw new UnknownTargetError('--target: external needs its target file, e.g. --target external:device.json (see fixtures/targets/)');
    return ExternalTarget.fromFile(file);
  }
  switch (name) {
    case 'engine':
      return new EngineTarget({ faults: opts.faults, seed: opts.seed });
    case 'engine-daemon':
      return new EngineDaemonTarget({ faults: opts.faults });
    case 'tayga':
      return new TaygaTarget();
    case 'jool':
      return new JoolTarget();
    default:
      throw new UnknownTargetError(`--target: unknown target "${name}"; known: ${TARGET_NAMES.join(', ')}`);
  }
}
