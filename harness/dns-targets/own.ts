/**
 * The `own` DNS64 target: the project's DNS64 core in-process, with the
 * harness authority as its upstream, on virtual time. Upstream delays, drops
 * and timeouts play out on that clock (virtual-time.ts), so a case about a
 * 1.5 s slow AAAA or a cache TTL runs in milliseconds and always the same
 * way. Every knob is available; each case gets a fresh server (empty cache).
 */
import { seededRandom } from '../../engine';
import { ConfigError } from '../../engine/config';
import { createDns64, parseDns64Config } from '../../engine/dns64';
import type { Dns64Config, UpstreamTransport } from '../../engine/dns64';
import { createAuthority } from '../dns/authority';
import type { Authority } from '../dns/authority';
import { DNS } from '../dns/names';
import type { Dns64Capabilities, Dns64EffectiveConfig, Dns64Needs, Dns64Session, Dns64Target, Dns64TargetDescription, DnsReply, UpstreamQuery } from '../dns/types';
import { signedTrustAnchor } from '../dns/zones';
import { LAB } from '../lab/addressing';
import { ConfigRefused } from '../lab/target';
import { PREF64_LENGTHS } from '../packet/rfc6052';
import { VirtualTime } from './virtual-time';

const VERSION: string = require('../../../package.json').version;

/** A fixed start, well inside the signed fixture's validity period, keeps evidence times and validation reproducible. */
const EPOCH_MS = Date.UTC(2026, 1, 1);
const DEFAULT_TIMEOUT_MS = 3000;
/** The lab's client networks: the IPv6 clients, and loopback as in the DNS lab namespace. */
export const OWN_DEFAULT_ACL = ['2001:db8:6::/64', '127.0.0.0/8'];

export interface OwnTargetOptions {
  faults?: string[];
  seed?: number;
}

/** The own DNS64's configuration for a case's needs (the daemon target uses it too). */
export function ownRawConfig(needs: Dns64Needs, faults: string[] = []): Record<string, unknown> {
  const validate = needs.validate ?? true;
  return {
    prefixes: needs.unsetPrefix ? [] : needs.prefixes && needs.prefixes.length ? needs.prefixes : [{ prefix: LAB.pool6 }],
    ...(needs.exclude ? { exclude: needs.exclude } : {}),
    upstream: [{ address: DNS.authorityAddress, port: DNS.authorityPort }],
    dnssec: validate ? { validate: true, trustAnchors: [signedTrustAnchor().text] } : { validate: false },
    acl: needs.acl ?? OWN_DEFAULT_ACL,
    faults,
  };
}

export function parseOwn(needs: Dns64Needs, faults: string[] = []): Dns64Config {
  try {
    return parseDns64Config(ownRawConfig(needs, faults), 'case needs');
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigRefused(e.message);
    throw e;
  }
}

export const OWN_CAPABILITIES: Dns64Capabilities = {
  prefixLengths: [...PREF64_LENGTHS],
  perRangePrefixes: true,
  exclusionConfig: true,
  validation: true,
  virtualClock: true,
  unsetPrefix: true,
};

/**
 * The harness authority as an UpstreamTransport on virtual time: each query
 * is logged as the authority would see it, then answered at once, after its
 * delay, or never; the sender's timeout fires on the same clock.
 */
export function inProcessUpstream(authority: Authority, time: VirtualTime, log: UpstreamQuery[]): UpstreamTransport {
  return {
    exchange(server, bytes, opts) {
      log.push({ timeUs: time.now() * 1000, transport: opts.transport, from: { address: DNS.resolverAddress, port: opts.sourcePort }, bytes: Buffer.from(bytes) });
      // Only the authority's address has a server behind it; anything else goes unanswered.
      const reachable = server.address === DNS.authorityAddress && server.port === DNS.authorityPort;
      const a = reachable ? authority.answer(Buffer.from(bytes), opts.transport) : {};
      return new Promise((resolve) => {
        let settled = false;
        const finish = (v: Buffer | undefined) => {
          if (settled) return;
          settled = true;
          resolve(v);
        };
        const cancelTimeout = time.after(opts.timeoutMs, () => finish(undefined));
        if (!a.bytes) return;
        const answer = a.bytes;
        time.after(a.delayMs ?? 0, () => {
          cancelTimeout();
          finish(answer);
        });
      });
    },
  };
}

export function effectiveOf(c: Dns64Config, listen: string, upstream: string): Dns64EffectiveConfig {
  return {
    prefixes: c.prefixes.map((p) => ({ ...p })),
    exclude: [...c.exclude],
    validate: c.dnssec.validate,
    listen,
    upstream,
    generated: JSON.stringify({ ...c, listen: undefined }, null, 2),
  };
}

export class OwnDns64Target implements Dns64Target {
  readonly name: string = 'own';
  readonly capabilities = OWN_CAPABILITIES;
  private readonly authority = createAuthority({ mode: 'forward' });
  private opened = 0;

  constructor(private readonly opts: OwnTargetOptions = {}) {}

  async describe(): Promise<Dns64TargetDescription> {
    const cfg = parseOwn({}, this.opts.faults ?? []);
    return {
      name: this.opts.faults?.length ? `own (faults: ${this.opts.faults.join(', ')})` : 'own',
      version: `nat64lab dns64 ${VERSION} (in-process, virtual clock)`,
      config: { ...cfg, listen: 'in-process' },
    };
  }

  /** The configuration parser is the whole of the trial: what it accepts, createDns64 runs with. */
  async validate(needs: Dns64Needs): Promise<Dns64EffectiveConfig> {
    return effectiveOf(parseOwn(needs, this.opts.faults ?? []), 'in-process', `${DNS.authorityAddress}#${DNS.authorityPort} (the harness authority, in-process)`);
  }

  async open(needs: Dns64Needs): Promise<Dns64Session> {
    const config = parseOwn(needs, this.opts.faults ?? []);
    const time = new VirtualTime(EPOCH_MS);
    const log: UpstreamQuery[] = [];
    const random = seededRandom((this.opts.seed ?? 64) + this.opened++);
    const server = createDns64(config, { clock: time.clock, random, upstream: inProcessUpstream(this.authority, time, log), wallTime: () => time.now() });
    let clientPort = 40000;
    let open = true;
    return {
      config: effectiveOf(config, 'in-process', `${DNS.authorityAddress}#${DNS.authorityPort} (the harness authority, in-process)`),
      async query(bytes, q): Promise<DnsReply> {
        if (!open) throw new Error('the DNS64 session is closed');
        const client = { address: q.client ?? LAB.client6[0], port: clientPort++, transport: q.transport };
        let done = false;
        let reply: Buffer | undefined;
        let failure: unknown;
        server.handle(Buffer.from(bytes), client).then(
          (r) => {
            reply = r;
            done = true;
          },
          (e) => {
            failure = e;
            done = true;
          },
        );
        const inTime = await time.runUntil(() => done, q.timeoutMs ?? DEFAULT_TIMEOUT_MS);
        if (failure) throw new Error(`the DNS64 core threw: ${failure instanceof Error ? failure.message : String(failure)}`);
        return { bytes: inTime ? reply : undefined, timeUs: time.now() * 1000, transport: q.transport };
      },
      async upstream() {
        return log.splice(0, log.length);
      },
      nowUs: () => time.now() * 1000,
      advance: (ms: number) => time.advance(ms),
      async close() {
        open = false;
      },
    };
  }

  async shutdown(): Promise<void> {}
}
