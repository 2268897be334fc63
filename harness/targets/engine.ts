/**
 * The `engine` target: the project's own NAT64, in-process, on a virtual
 * clock. Every knob is available, so no case is na here; each case gets a
 * fresh translator configured for its needs.
 */
import { createTranslator, seededRandom, virtualClock } from '../../engine';
import { ConfigError, parseEngineConfig } from '../../engine/config';
import type { EngineConfig } from '../../engine/api';
import { LAB } from '../lab/addressing';
import { PREF64_LENGTHS } from '../packet/rfc6052';
import type { Side } from '../packet/types';
import { ConfigRefused } from '../lab/target';
import type { Captured, Capabilities, EffectiveConfig, LabSession, Target, TargetDescription, TargetNeeds } from '../lab/target';

const VERSION: string = require('../../../package.json').version;

/** The virtual clock starts at a fixed instant so evidence times are reproducible. */
const EPOCH_MS = Date.UTC(2026, 0, 1);

function effective(c: EngineConfig): EffectiveConfig {
  return { pool6: c.pool6, pool4: c.pool4, filtering: c.filtering, staticBib: c.staticBib, timeouts: c.timeouts, trafficClass: c.trafficClass, mtu: c.mtu, limits: c.limits, fragmentMemory: c.fragmentMemory, icmpErrors: c.icmpErrors, ...(c.deterministic ? { deterministic: c.deterministic } : {}) };
}

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
    // The lab's network-specific prefix unless the case asks otherwise; `unsetPool6` leaves the engine's own default.
    const pool6 = needs.unsetPool6 ? undefined : (needs.pool6 ?? base.pool6 ?? LAB.pool6);
    return parseEngineConfig({
      ...base,
      pool6,
      ...(needs.pool4 ? { pool4: needs.pool4 } : {}),
      ...(needs.filtering ? { filtering: needs.filtering } : {}),
      ...(needs.staticBib ? { staticBib: needs.staticBib } : {}),
      ...(needs.trafficClass ? { trafficClass: needs.trafficClass } : {}),
      ...(needs.mtu || base.mtu ? { mtu: { ...(base.mtu ?? {}), ...(needs.mtu ?? {}) } } : {}),
      ...(needs.fragmentMemory !== undefined ? { fragmentMemory: needs.fragmentMemory } : {}),
      ...(needs.icmpErrors || base.icmpErrors ? { icmpErrors: { ...(base.icmpErrors ?? {}), ...(needs.icmpErrors ?? {}) } } : {}),
      ...(needs.limits || base.limits
        ? { limits: { ...(base.limits ?? {}), ...(needs.limits ?? {}), ports: { ...(base.limits?.ports ?? {}), ...(needs.limits?.ports ?? {}) }, quarantine: { ...(base.limits?.quarantine ?? {}), ...(needs.limits?.quarantine ?? {}) } } }
        : {}),
      ...(needs.deterministic || base.deterministic ? { deterministic: { ...(base.deterministic ?? {}), ...(needs.deterministic ?? {}) } } : {}),
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
