/**
 * Upstream queries of the DNS64 (a forwarding resolver): a fresh random ID
 * and source port per query (RFC 5452 §4, §9.2), UDP first and TCP when the
 * answer is truncated (RFC 7766 §5), a per-try timeout and a number of
 * tries, answers checked against the question asked; and the cache, keyed
 * by (name, type, class, DO, CD), with positive TTLs counting down on the
 * injected clock and negative answers kept per RFC 2308 §5.
 */
import type { Clock, RandomInt } from '../api';
import type { Dns64Config, UpstreamTransport } from './api';
import { decode, encode, FLAG, Msg, optRecord, rcode, RCODE, Rr, sameName } from './message';

export interface LookupOptions {
  do: boolean;
  cd: boolean;
}

interface CacheEntry {
  msg: Msg;
  storedAt: number;
  expiresAt: number;
}

export interface Upstream {
  /** The upstream answer, or undefined when no usable answer came (timeout, garbage). */
  lookup(name: string, type: string, cls: string, opts: LookupOptions): Promise<Msg | undefined>;
  flush(): void;
}

/** RFC 2308 §5: the negative TTL is the smaller of the SOA's TTL and its MINIMUM. */
export function negativeTtl(m: Msg): number | undefined {
  const soa = m.authorities.find((r) => r.type === 'SOA');
  if (!soa) return undefined;
  return Math.min(soa.ttl ?? 0, soa.data?.minimum ?? 0);
}

function cacheTtl(m: Msg, qtype: string): number | undefined {
  const rc = rcode(m);
  if (rc !== RCODE.NOERROR && rc !== RCODE.NXDOMAIN) return undefined; // SERVFAIL and friends: not cached
  if (has(m.flags, FLAG.TC)) return undefined;
  const positive = rc === RCODE.NOERROR && m.answers.some((r) => r.type === qtype || r.type === 'CNAME' || r.type === 'DNAME');
  if (!positive) return negativeTtl(m);
  const ttls = [...m.answers, ...m.authorities].filter((r) => r.type !== 'OPT').map((r) => r.ttl ?? 0);
  return ttls.length ? Math.min(...ttls) : undefined;
}

function has(flags: number, f: number): boolean {
  return (flags & f) !== 0;
}

function aged(rrs: Rr[], elapsedS: number): Rr[] {
  return rrs.map((r) => (r.type === 'OPT' ? r : { ...r, ttl: Math.max(0, (r.ttl ?? 0) - elapsedS) }));
}

export function createUpstream(config: Dns64Config, deps: { clock: Clock; random: RandomInt; upstream: UpstreamTransport }, faults: Set<string>): Upstream {
  const cache = new Map<string, CacheEntry>();

  const exchangeOnce = async (name: string, type: string, cls: string, opts: LookupOptions): Promise<Msg | undefined> => {
    for (let t = 0; t < config.upstreamTries; t++) {
      const server = config.upstream[t % config.upstream.length];
      // FAULT fixed-query-id / fixed-source-port: predictable IDs and ports (RFC 5452 §9.2 wants both random).
      const id = faults.has('fixed-query-id') ? 0x1234 : deps.random(65536);
      const port = () => (faults.has('fixed-source-port') ? 53053 : 1024 + deps.random(65536 - 1024));
      const query: Msg = {
        id,
        type: 'query',
        // RFC 6840 §5.9: a validating resolver sets CD upstream, so it sees the data it has to judge.
        flags: FLAG.RD | (opts.cd ? FLAG.CD : 0),
        questions: [{ name, type, class: cls }],
        answers: [],
        authorities: [],
        additionals: [optRecord(opts.do)],
      };
      const bytes = encode(query);
      const accept = (raw: Buffer | undefined): Msg | undefined => {
        if (!raw) return undefined;
        const m = decode(raw);
        // An answer to another question (or a forged one) is as good as none.
        if (!m || m.type !== 'response' || m.id !== id) return undefined;
        const q = m.questions[0];
        if (!q || !sameName(q.name, name) || q.type !== type || (q.class ?? 'IN') !== cls) return undefined;
        return m;
      };
      let m = accept(await deps.upstream.exchange(server, bytes, { transport: 'udp', sourcePort: port(), timeoutMs: config.upstreamTimeoutMs }));
      if (m && has(m.flags, FLAG.TC)) {
        const overTcp = accept(await deps.upstream.exchange(server, bytes, { transport: 'tcp', sourcePort: port(), timeoutMs: config.upstreamTimeoutMs }));
        if (overTcp) m = overTcp;
      }
      if (m) return m;
    }
    return undefined;
  };

  return {
    async lookup(name, type, cls, opts) {
      const key = `${name.toLowerCase().replace(/\.$/, '')}|${type}|${cls}|${opts.do ? 1 : 0}|${opts.cd ? 1 : 0}`;
      const now = deps.clock.now();
      const hit = cache.get(key);
      // FAULT no-cache-expiry: entries are served after their TTL ran out.
      if (hit && (now < hit.expiresAt || faults.has('no-cache-expiry'))) {
        const elapsed = Math.floor((now - hit.storedAt) / 1000);
        return { ...hit.msg, answers: aged(hit.msg.answers, elapsed), authorities: aged(hit.msg.authorities, elapsed), additionals: aged(hit.msg.additionals, elapsed) };
      }
      if (hit) cache.delete(key);
      const m = await exchangeOnce(name, type, cls, opts);
      if (!m) return undefined;
      const ttl = config.cacheEntries > 0 ? cacheTtl(m, type) : undefined;
      if (ttl !== undefined && ttl > 0) {
        if (cache.size >= config.cacheEntries) cache.delete(cache.keys().next().value as string);
        cache.set(key, { msg: m, storedAt: now, expiresAt: now + ttl * 1000 });
      }
      return m;
    },
    flush: () => cache.clear(),
  };
}
