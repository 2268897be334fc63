/** A translator on a virtual clock for the engine's unit tests, and config-error capture. */
import { expect } from 'chai';
import { Nat64Translator, VirtualClock, createTranslator, seededRandom, virtualClock } from '../../engine';
import { ConfigError, parseEngineConfig } from '../../engine/config';
import { LAB } from '../../harness/lab/addressing';

export interface Lab {
  x: Nat64Translator;
  clock: VirtualClock;
}

/** The lab's network-specific Pref64 unless `raw` sets one; internal errors are rethrown so bugs fail tests. */
export function makeLab(raw: Record<string, unknown> = {}, seed = 1): Lab {
  const clock = virtualClock(1_000_000);
  const x = createTranslator(parseEngineConfig({ pool6: LAB.pool6, ...raw }), {
    clock,
    random: seededRandom(seed),
    onInternalError: (e) => {
      throw e;
    },
  });
  return { x, clock };
}

/** The one-line message of the ConfigError that `raw` raises (fails when it raises none). */
export function configError(raw: unknown): string {
  try {
    parseEngineConfig(raw);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}
