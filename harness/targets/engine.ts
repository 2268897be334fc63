/**
 * The `engine` target: the project's own NAT64, in-process, on a virtual
 * clock. Every knob is available, so no case is na here; each case gets a
 * fresh translator configured for its needs.
 */
import { createTranslator, seededRandom, virtualClock } from '../../engine';
import { ConfigError, parseEngineConfig } from '../../engine/config';
import type { EngineConfig } from '../../engine/api';
import { PREF64_LENGTHS } from '../packet/rfc6052';
import type { Side } from '../packet/types';
import { ConfigRefused } from '../lab/target';
import type { Captured, Capabilities, LabSession, Target, TargetDescription, TargetNeeds } from '../lab/target';

const VERSION: string = require('../../../package.json').version;

/** The virtual clock starts at a fixed instant so evidence times are reproducible. */
const EPOCH_MS = Date.UTC(2026, 0, 1);

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
  readonly capabilities: Capabilities = {
    pool6Lengths: [...PREF64_LENGTHS],
    wellKnownPrefix: true,
    pool4: true,
    filtering: ['endpoint-independent', 'address-dependent'],
    staticBib: true,
    timeouts: true,
    virtualClock: true,
    readState: true,
  };

  constructor(private readonly opts: EngineTargetOptions = {}) {}

  private configFor(needs: TargetNeeds): EngineConfig {
    const base = this.opts.base ?? {};
    return parseEngineConfig({
      ...base,
      ...(needs.pool6 ? { pool6: needs.pool6 } : {}),
      ...(needs.pool4 ? { pool4: needs.pool4 } : {}),
      ...(needs.filtering ? { filtering: needs.filtering } : {}),
      ...(needs.staticBib ? { staticBib: needs.staticBib } : {}),
      ...(needs.trafficClass ? { trafficClass: needs.trafficClass } : {}),
      ...(needs.mtu || base.mtu ? { mtu: { ...(base.mtu ?? {}), ...(needs.mtu ?? {}) } } : {}),
      timeouts: { ...(base.timeouts ?? {}), ...(needs.timeouts ?? {}) },
      faults: this.opts.faults ?? [],
    });
  }

  async describe(): Promise<TargetDescription> {
    const cfg = this.configFor({});
    return {
      name: this.opts.faults?.length ? `engine (faults: ${this.opts.faults.join(', ')})` : 'engine',
      version: `nat64lab engine ${VERSION} (in-process, virtual clock)`,
      config: { ...cfg },
    };
  }

  async open(needs: TargetNeeds): Promise<LabSession> {
    let config: EngineConfig;
    try {
      config = this.configFor(needs);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigRefused(err.message);
      throw err;
    }
    const clock = virtualClock(EPOCH_MS);
    const xlat = createTranslator(config, { clock, random: seededRandom(this.opts.seed ?? 6146) });
    const queue: Captured[] = [];
    const nowUs = () => clock.now() * 1000;
    const enqueue = (out: { side: Side; bytes: Buffer }[]) => {
      for (const o of out) queue.push({ side: o.side, bytes: o.bytes, timeUs: nowUs() });
    };
    return {
      config: { pool6: config.pool6, pool4: config.pool4, filtering: config.filtering, staticBib: config.staticBib, timeouts: config.timeouts, trafficClass: config.trafficClass, mtu: config.mtu },
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
      async close() {
        queue.length = 0;
      },
    };
  }

  async shutdown(): Promise<void> {
    // Nothing outlives a session in-process.
  }
}
