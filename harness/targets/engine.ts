/**
 * The `engine` target: the project's own NAT64, in-process, on a virtual
 * clock. Every knob is available, so no case is na here; each case gets a
 * fresh translator configured for its needs.
 */
import { createTranslator, seededRandom, virtualClock } from '../../engine';
import { ConfigError } from '../../engine/config';
import type { EngineConfig } from '../../engine/api';
import { effectiveEngineConfig, engineCapabilities, engineConfigFor } from './engine-config';
import type { Side } from '../packet/types';
import { ConfigRefused } from '../lab/target';
import type { Captured, Capabilities, EffectiveConfig, LabSession, Target, TargetDescription, TargetNeeds } from '../lab/target';

const VERSION: string = require('../../../package.json').version;

/** The virtual clock starts at a fixed instant so evidence times are reproducible. */
const EPOCH_MS = Date.UTC(2026, 0, 1);

const effective = effectiveEngineConfig;

export interface EngineTargetOptions {
  /** Named faults to switch on (see engine/faults.ts). */
  faults?: string[];
  /** Seed of the port-randomisation source. */
  seed?: number;
  /** Base configuration (a parsed config file); case needs override it. */
  base?: Partial<EngineConfig>;
}

export class EngineTarget implements Target {
  readonly name = 'engine';
  readonly capabilities: Capabilities = engineCapabilities();

  constructor(private readonly opts: EngineTargetOptions = {}) {}

  private configFor(needs: TargetNeeds): EngineConfig {
    return engineConfigFor(needs, { base: this.opts.base, faults: this.opts.faults });
  }

  async describe(): Promise<TargetDescription> {
    const cfg = this.configFor({});
    return {
      name: this.opts.faults?.length ? `engine (faults: ${this.opts.faults.join(', ')})` : 'engine',
      version: `nat64lab engine ${VERSION} (in-process, virtual clock)`,
      config: { ...cfg },
    };
  }

  private checkedConfig(needs: TargetNeeds): EngineConfig {
    try {
      return this.configFor(needs);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigRefused(err.message);
      throw err;
    }
  }

  async validate(needs: TargetNeeds): Promise<EffectiveConfig> {
    return effective(this.checkedConfig(needs));
  }

  async open(needs: TargetNeeds): Promise<LabSession> {
    const config = this.checkedConfig(needs);
    const clock = virtualClock(EPOCH_MS);
    const xlat = createTranslator(config, { clock, random: seededRandom(this.opts.seed ?? 6146) });
    const queue: Captured[] = [];
    const nowUs = () => clock.now() * 1000;
    const enqueue = (out: { side: Side; bytes: Buffer }[]) => {
      for (const o of out) queue.push({ side: o.side, bytes: o.bytes, timeUs: nowUs() });
    };
    return {
      config: effective(config),
      async send(side, bytes) {
        enqueue(xlat.push(side, bytes));
      },
      async collect() {
        return queue.splice(0, queue.length);
      },
      nowUs,
      async advance(ms) {
        clock.advance(ms);
        enqueue(xlat.expire());
        return queue.splice(0, queue.length);
      },
      async state() {
        return { bib: xlat.bib(), sessions: xlat.sessions() };
      },
      async events() {
        return xlat.events?.() ?? [];
      },
      ...(xlat.deterministic
        ? {
            async deterministicMap(q: { inside: string } | { address: string; port: number }) {
              return 'inside' in q ? xlat.deterministic!.forward(q.inside) : xlat.deterministic!.reverse(q.address, q.port);
            },
          }
        : {}),
      async close() {
        queue.length = 0;
      },
    };
  }

  async shutdown(): Promise<void> {
    // Nothing outlives a session in-process.
  }
}
