/**
 * Runs one DNS64 case against one DNS64 target: opens a session with the
 * case's needs, lets the case query and check, and returns the case result
 * with every DNS message as evidence. The verdict rules are shared with
 * the NAT64 runner (check-recorder.ts, case-lifecycle.ts): harness failures
 * are `error`, unmet preconditions `na`, a declared but unchecked
 * requirement an error.
 *
 * Evidence: each message is wrapped in a synthesised IPv6/UDP (client side)
 * or IPv4/UDP (upstream side) packet, so the case's pcap opens in Wireshark
 * as DNS, and dissected as dig-like text.
 */
import * as dnsPacket from 'dns-packet';
import { formatBytes, summaryLine } from '../dns/format';
import { DNS } from '../dns/names';
import type { Dns64EffectiveConfig, Dns64Needs, Dns64Session, Dns64Target, DnsTransport, UpstreamQuery } from '../dns/types';
import { ConfigRefused } from '../lab/target';
import { LAB } from '../lab/addressing';
import { encode } from '../packet/codec';
import type { Packet } from '../packet/types';
import type { CaseResult, EvidencePacket } from '../results/types';
import { runCaseLifecycle } from './case-lifecycle';
import { CheckRecorder } from './check-recorder';
import type { DnsCaseContext, DnsCaseDef, DnsExchange, DnsSeen, QueryOptions } from './dns-case';

export interface RunDnsCaseOptions {
  /** The soak tier: real waits of any length are allowed. */
  soak?: boolean;
  /** Longest real wait allowed outside the soak tier (default 10 s). */
  realWaitLimitMs?: number;
  /** Skip dissecting the evidence (verdicts only). */
  verdictsOnly?: boolean;
}

/** Addresses the evidence shows: the lab's first client and a DNS64 in the client network; the authority as in the DNS lab. */
export const EVIDENCE_ADDRESSES = {
  client6: LAB.client6[0],
  dns64v6: '2001:db8:6::53',
  dns64v4: DNS.resolverAddress,
  authority: DNS.authorityAddress,
  clientPortBase: 50000,
} as const;

/** Where a message travelled, for the synthesised packet around it. */
export interface DnsPath {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

function decodeSeen(bytes: Buffer): { message?: dnsPacket.Packet; decodeError?: string } {
  try {
    return { message: dnsPacket.decode(bytes) };
  } catch (err) {
    return { decodeError: err instanceof Error ? err.message : String(err) };
  }
}

/** A query message as QueryOptions describe it; the ID is chosen by the caller. */
export function buildQuery(id: number, name: string, type: string, opts: QueryOptions = {}): Buffer {
  let flags = 0;
  if (opts.rd !== false) flags |= dnsPacket.RECURSION_DESIRED;
  if (opts.cd) flags |= dnsPacket.CHECKING_DISABLED;
  if (opts.ad) flags |= dnsPacket.AUTHENTIC_DATA;
  const edns = opts.edns === undefined ? { udpPayloadSize: 1232 } : opts.edns;
  const additionals: dnsPacket.Answer[] = [];
  if (edns !== false) {
    additionals.push({ name: '.', type: 'OPT', udpPayloadSize: edns.udpPayloadSize ?? 1232, flags: opts.do ? dnsPacket.DNSSEC_OK : 0, options: [] } as unknown as dnsPacket.Answer);
  } else if (opts.do) {
    throw new Error('QueryOptions: do needs EDNS (edns: false was given)');
  }
  return dnsPacket.encode({
    type: 'query',
    id,
    flags,
    questions: [{ name, type: type.toUpperCase() as dnsPacket.RecordType, class: (opts.class ?? 'IN').toUpperCase() as dnsPacket.RecordClass }],
    additionals,
  });
}

class DnsRecorder extends CheckRecorder implements DnsCaseContext {
  readonly seen: DnsSeen[] = [];
  private readonly paths = new Map<number, DnsPath>();
  private exchanges = 0;

  constructor(
    def: DnsCaseDef,
    private readonly session: Dns64Session,
    private readonly opts: RunDnsCaseOptions,
    private readonly target: Dns64Target,
  ) {
    super(def);
  }

  async attempt(needs: Dns64Needs): Promise<{ accepted: true; config: Dns64EffectiveConfig } | { accepted: false; reason: string }> {
    // Opening a second session would replace the running server of the case's own; only a side trial will do.
    if (!this.target.validate) this.na(`${this.target.name} cannot try a configuration without running with it`);
    try {
      const config = await this.target.validate(needs);
      this.note(`tried ${JSON.stringify(needs)}: accepted`);
      return { accepted: true, config };
    } catch (err) {
      if (!(err instanceof ConfigRefused)) throw err;
      this.note(`tried ${JSON.stringify(needs)}: refused (${err.message})`);
      return { accepted: false, reason: err.message };
    }
  }

  get config() {
    return this.session.config;
  }

  private record(role: DnsSeen['role'], transport: DnsTransport, bytes: Buffer, timeUs: number, path: DnsPath): DnsSeen {
    const s: DnsSeen = { index: this.seen.length, role, transport, bytes, timeUs, ...decodeSeen(bytes) };
    this.seen.push(s);
    this.paths.set(s.index, path);
    return s;
  }

  private recordUpstream(list: UpstreamQuery[]): DnsSeen[] {
    return list.map((u) => {
      const src = u.from.address && !u.from.address.includes(':') && /^\d/.test(u.from.address) ? u.from.address : EVIDENCE_ADDRESSES.dns64v4;
      return this.record('upstream', u.transport, u.bytes, u.timeUs, { src, dst: EVIDENCE_ADDRESSES.authority, sport: u.from.port, dport: DNS.authorityPort });
    });
  }

  async query(name: string, type: string, opts: QueryOptions = {}): Promise<DnsExchange> {
    // Deterministic IDs keep evidence reproducible; they differ per exchange so answers cannot be confused.
    const id = (0x1000 + this.exchanges * 97) & 0xffff;
    return this.exchange(buildQuery(id, name, type, opts), opts);
  }

  async queryRaw(bytes: Buffer, opts: Pick<QueryOptions, 'transport' | 'client' | 'timeoutMs'> = {}): Promise<DnsExchange> {
    return this.exchange(bytes, opts);
  }

  private async exchange(bytes: Buffer, opts: Pick<QueryOptions, 'transport' | 'client' | 'timeoutMs'>): Promise<DnsExchange> {
    const transport = opts.transport ?? 'udp';
    // Upstream queries left over from earlier exchanges (late retries) are evidence, but not of this exchange.
    this.recordUpstream(await this.session.upstream());
    const n = this.exchanges++;
    const { client, server, port } = this.endpoints(opts.client);
    const cport = EVIDENCE_ADDRESSES.clientPortBase + (n % 10000);
    const query = this.record('query', transport, bytes, this.session.nowUs(), { src: client, dst: server, sport: cport, dport: port });
    const reply = await this.session.query(bytes, { transport, ...(opts.client ? { client: opts.client } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
    const upstream = this.recordUpstream(await this.session.upstream());
    const response = reply.bytes ? this.record('response', reply.transport, reply.bytes, reply.timeUs, { src: server, dst: client, sport: port, dport: cport }) : undefined;
    if (!reply.bytes) this.note(`no response to query #${query.index} within the timeout`);
    return { query, response, upstream };
  }

  /**
   * The addresses the capture shows: a server that listens on a real socket
   * ("127.0.0.1#5305") with its real address and port, and its lab client
   * (the DNS lab's clients are loopback addresses); an in-process server in
   * the lab's IPv6 client network.
   */
  private endpoints(requested?: string): { client: string; server: string; port: number } {
    const m = /^(.+)#(\d+)$/.exec(this.session.config.listen);
    const v4 = requested ? !requested.includes(':') : !!m && !m[1].includes(':');
    const client = requested ?? (v4 ? DNS.resolverAddress : EVIDENCE_ADDRESSES.client6);
    const sameFamily = !!m && m[1].includes(':') === !v4;
    if (m && sameFamily) return { client, server: m[1], port: Number(m[2]) };
    return { client, server: v4 ? EVIDENCE_ADDRESSES.dns64v4 : EVIDENCE_ADDRESSES.dns64v6, port: 53 };
  }

  async elapse(ms: number): Promise<void> {
    if (this.session.advance) {
      this.note(`${ms / 1000} s passed on the target's virtual clock`);
      await this.session.advance(ms);
      return;
    }
    const limit = this.opts.soak ? Infinity : (this.opts.realWaitLimitMs ?? 10_000);
    if (ms > limit) this.na(`needs ${ms / 1000} s of real time on a target without a controllable clock; run with --soak`);
    this.note(`waited ${ms / 1000} s of real time (the target's clock cannot be controlled)`);
    await new Promise((r) => setTimeout(r, ms));
  }

  async drain(): Promise<void> {
    this.recordUpstream(await this.session.upstream());
  }

  evidence(): EvidencePacket[] {
    if (this.opts.verdictsOnly) return [];
    return this.seen.map((s) => dnsEvidence(s, this.paths.get(s.index)!));
  }
}

/** The IP/UDP packet around a DNS message, as the capture shows it. */
export function wrapDns(bytes: Buffer, path: DnsPath): Buffer {
  const v6 = path.src.includes(':');
  // UDP's length field caps what fits; a larger TCP message is cut in the capture (the dissection has it whole).
  const payload = bytes.subarray(0, 65507);
  const packet: Packet = v6
    ? { ipv6: { src: path.src, dst: path.dst, hopLimit: 64 }, udp: { sport: path.sport, dport: path.dport }, payload }
    : { ipv4: { src: path.src, dst: path.dst, ttl: 64 }, udp: { sport: path.sport, dport: path.dport }, payload };
  return encode(packet);
}

export function dnsEvidence(s: DnsSeen, path: DnsPath): EvidencePacket {
  const text = formatBytes(s.bytes);
  const head = `${path.src.includes(':') ? 'IPv6' : 'IPv4'} ${path.src} port ${path.sport} → ${path.dst} port ${path.dport}, ${s.transport.toUpperCase()}${s.transport === 'tcp' ? ' (shown as UDP in the capture)' : ''}, ${s.bytes.length} octets of DNS`;
  return {
    index: s.index,
    direction: s.role === 'query' ? 'sent' : 'received',
    side: s.role === 'upstream' ? 4 : path.src.includes(':') ? 6 : 4,
    timeUs: s.timeUs,
    hex: wrapDns(s.bytes, path).toString('hex'),
    summary: summaryLine(s.role, s.message, s.bytes, s.decodeError),
    dissection: `${head}\n${text.text}`,
  };
}

export async function runDnsCase(def: DnsCaseDef, target: Dns64Target, opts: RunDnsCaseOptions = {}): Promise<CaseResult> {
  return runCaseLifecycle(def, {
    open: () => target.open(def.needs ?? {}),
    recorder: (session) => new DnsRecorder(def, session, opts, target),
    run: async (rec) => {
      await def.run(rec);
      // Upstream queries that arrive after the case's last exchange are evidence too.
      await rec.drain();
    },
  });
}
