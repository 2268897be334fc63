/** Targets by name, as `--target` names them. */
import { EngineTarget } from './engine';
import type { Target } from '../lab/target';

export interface TargetOptions {
  faults?: string[];
  seed?: number;
}

export const TARGET_NAMES = ['engine'] as const;

export class UnknownTargetError extends Error {}

export function makeTarget(name: string, opts: TargetOptions = {}): Target {
  switch (name) {
    case 'engine':
      return new EngineTarget({ faults: opts.faults, seed: opts.seed });
    default:
      throw new UnknownTargetError(`--target: unknown target "${name}"; known: ${TARGET_NAMES.join(', ')}`);
  }
}
