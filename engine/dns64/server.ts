/**
 * The DNS64 core (RFC 6147 §5, RFC 8880 §7): one client query in, one reply
 * out, upstream through the injected transport. Sockets live in sockets.ts.
 *
 * Readings taken where the RFCs leave room:
 * - §5.1.8: AAAA and A are queried one after the other. The AAAA answer
 *   decides whether A is needed at all, and §5.5 item 2 wants the negative
 *   AAAA answer validated "before proceeding to query for A records", which
 *   rules out the parallel option whenever validation is on.
 * - §5.1.5: the upstream is an authoritative server, so a CNAME/DNAME chain
 *   that leaves its zone is chased here, query by query, and the chain
 *   records are put together in the answer.
 * - §5.3.1: option 1, local authoritative PTR answers for addresses under a
 *   Pref64 in use or the Well-Known Prefix; the RDATA is that of the
 *   in-addr.arpa PTR of the embedded IPv4 address (RFC 8880 §7.2.1), and
 *   ipv4only.arpa for 192.0.0.170/171 without any query.
 * - §5.5 with CD=1 and DO=0: nothing asks for pass-through (the client
 *   cannot validate without RRSIGs), so synthesis happens, unvalidated.
 * - §5.5 item 1 forbids AD with DO=0; it takes precedence over RFC 6840 §5.7
 *   (AD in the query) for this server.
 * - §5.5 vs §5.1.2/§5.1.3: a SERVFAIL (or no answer) to the AAAA query
 *   carries nothing to validate; it is handled as empty as §5.1.2 says, and
 *   the synthesised reply then never carries AD (its absence of AAAA was
 *   not proven). A NODATA that fails validation is SERVFAIL, never synthesis.
 * - RFC 8880 §7.1: ipv4only.arpa answers are local data of a zone this
 *   server is authoritative for, so they are given (AA=1) even with CD=1,
 *   and never validated (RFC 8880 §5).
 */
import { formatIPv6 } from '../../harness/packet/address';
import { embedBytes, Pref64 } from '../../harness/packet/rfc6052';
import { parsePrefix, inPrefix, parseIPv4, parseIPv6, isIPv4, formatIPv4 } from '../../harness/packet/address';
import type { ClientInfo, Dns64Config, Dns64Deps, Dns64Server } from './api';
import { normalName, parseDsText } from './dnssec';
import { decode, edns, encode, fitUdp, FLAG, formErrBytes, isDnssecType, Msg, optRecord, rcode, RCODE, responseTo, Rr, sameName, withRcode } from './message';
import { createSynthesizer, inAddrArpa, ip6ArpaAddress } from './synth';
import { createUpstream, negativeTtl } from './upstream';
import { createValidator, Security } from './validator';

const IPV4ONLY = 'ipv4only.arpa';
const WKA = ['192.0.0.170', '192.0.0.171'];
const LOCAL_TTL = 3600;
/** §5.1.7: the cap when the AAAA NODATA brought no SOA. */
const NO_SOA_TTL_CAP = 600;

/** What one upstream step produced: the message (undefined on timeout) and its DNSSEC status. */
interface Fetched {
  msg?: Msg;
  security: Security;
}

/** A name resolved through aliases: the chain records met and the final response. */
interface Chased {
  chain: Rr[];
  sname: string;
  final: Fetched;
  /** Worst security over every step. */
  security: Security;
}

function worst(a: Security, b: Security): Security {
  if (a === 'bogus' || b === 'bogus') return 'bogus';
  if (a === 'insecure' || b === 'insecure') return 'insecure';
  return 'secure';
}

/** Follow CNAMEs (and DNAME-synthesised CNAMEs) inside one response from `name`. */
function chainIn(m: Msg, name: string): { sname: string; records: Rr[] } {
  let sname = normalName(name);
  const records: Rr[] = [];
  const take = (r: Rr) => {
    if (!records.includes(r)) records.push(r);
  };
  for (let i = 0; i < 16; i++) {
    const dname = m.answers.find((r) => r.type === 'DNAME' && sname.endsWith(`.${normalName(r.name)}`));
    if (dname) take(dname);
    const cname = m.answers.find((r) => r.type === 'CNAME' && sameName(r.name, sname));
    if (cname) {
      take(cname);
      sname = normalName(cname.data);
      continue;
    }
    if (dname) {
      // A DNAME without the CNAME it implies (RFC 6672 §3.1 servers send both; old ones do not).
      sname = `${sname.slice(0, sname.length - normalName(dname.name).length)}${normalName(dname.data)}`;
      continue;
    }
    break;
  }
  // Their signatures travel with them (DO=1 clients validate the chain themselves).
  for (const r of m.answers) if (r.type === 'RRSIG' && records.some((c) => c.type === r.data?.typeCovered && sameName(c.name, r.name)) && !records.includes(r)) records.push(r);
  return { sname, records };
}

function inAcl(address: string, acl: string[]): boolean {
  let bytes: Buffer;
  try {
    bytes = isIPv4(address) ? parseIPv4(address) : parseIPv6(address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '::ffff:$1'));
  } catch {
    return false;
  }
  const mapped = bytes.length === 16 && bytes.subarray(0, 12).equals(Buffer.from('00000000000000000000ffff', 'hex')) ? bytes.subarray(12) : undefined;
  return acl.some((c) => {
    const p = parsePrefix(c);
    return inPrefix(bytes, p) || (mapped !== undefined && inPrefix(mapped, p));
  });
}

export function createServer(config: Dns64Config, deps: Dns64Deps): Dns64Server {
  const faults = new Set(config.faults);
  const fault = (n: string) => faults.has(n);
  const synth = createSynthesizer(config, faults);
  const upstream = createUpstream(config, deps, faults);
  const origin = Date.now() - deps.clock.now();
  const wall = deps.wallTime ?? (() => origin + deps.clock.now());
  const validating = config.dnssec.validate && !fault('skip-validation');
  const anchors = config.dnssec.trustAnchors.map((t) => parseDsText(t));
  const dns64 = config.mode !== 'forwarder';

  /** Upstream flags: DO when validating or the client wants DNSSEC data; CD when validating (RFC 6840 §5.9) or asked. */
  const upFlags = (clientDo: boolean, clientCd: boolean) => ({ do: validating || clientDo, cd: validating || clientCd });

  const makeValidator = (clientDo: boolean, clientCd: boolean) =>
    createValidator({
      anchors,
      now: () => Math.floor(wall() / 1000),
      fetch: (name, type) => upstream.lookup(name, type, 'IN', upFlags(clientDo, clientCd)),
    });

  /** One upstream lookup plus its validation (skipped with CD=1: the client checks, RFC 4035 §3.2.2). */
  const fetch = async (name: string, type: string, cls: string, clientDo: boolean, clientCd: boolean, validate = true): Promise<Fetched> => {
    const msg = await upstream.lookup(name, type, cls, upFlags(clientDo, clientCd));
    if (!msg) return { security: 'insecure' };
    if (!validating || clientCd || !validate || cls !== 'IN') return { msg, security: 'insecure' };
    const v = await makeValidator(clientDo, clientCd).validate(msg, name, type);
    return { msg, security: v.security };
  };

  /**
   * §5.1.5: resolve `name`/`type`, chasing aliases that lead out of the
   * answering zone (the response then holds the alias but no data and no
   * negative proof for its target).
   */
  const chase = async (name: string, type: string, clientDo: boolean, clientCd: boolean, validate = true, first?: Fetched): Promise<Chased> => {
    let current = first ?? (await fetch(name, type, 'IN', clientDo, clientCd, validate));
    const chain: Rr[] = [];
    let security = current.security;
    let sname = normalName(name);
    for (let hop = 0; hop < 8 && current.msg && rcode(current.msg) === RCODE.NOERROR; hop++) {
      const c = chainIn(current.msg, sname);
      chain.push(...c.records);
      if (c.sname === sname) break;
      sname = c.sname;
      const m = current.msg;
      const dataAtEnd = m.answers.some((r) => sameName(r.name, sname) && r.type !== 'RRSIG');
      const soaForEnd = m.authorities.some((r) => r.type === 'SOA' && (sname === normalName(r.name) || sname.endsWith(`.${normalName(r.name)}`)));
      if (dataAtEnd || soaForEnd) break;
      current = await fetch(sname, type, 'IN', clientDo, clientCd, validate);
      security = worst(security, current.security);
    }
    return { chain, sname, final: current, security: worst(security, current.security) };
  };

  const recordsAt = (m: Msg | undefined, sname: string, type: string) => (m ? m.answers.filter((r) => r.type === type && sameName(r.name, sname)) : []);

  /** Reply skeleton for a client query. */
  const reply = (q: Msg, rc: number, extra = 0) => responseTo(q, rc, extra);

  const servfail = (q: Msg): { msg: Msg; security: Security } => ({ msg: reply(q, RCODE.SERVFAIL), security: 'insecure' });

  /** Pass an upstream answer through (§5.3.3: unchanged). */
  const relay = (q: Msg, f: Fetched): { msg: Msg; security: Security } => {
    if (!f.msg || f.security === 'bogus') return servfail(q);
    const r = reply(q, rcode(f.msg));
    r.answers = f.msg.answers.slice();
    r.authorities = f.msg.authorities.slice();
    r.additionals = f.msg.additionals.filter((x) => x.type !== 'OPT');
    return { msg: r, security: f.security };
  };

  const localSoa = (): Rr => ({ name: IPV4ONLY, type: 'SOA', class: 'IN', ttl: LOCAL_TTL, data: { mname: IPV4ONLY, rname: 'nobody.invalid', serial: 1, refresh: 3600, retry: 1200, expire: 604800, minimum: LOCAL_TTL } });

  const embedUnder = (p: Pref64, ipv4: string): string => {
    const v4 = fault('synth-octets-reversed') ? formatIPv4(Buffer.from(parseIPv4(ipv4)).reverse()) : ipv4;
    return formatIPv6(embedBytes(p, v4));
  };

  /** RFC 8880 §7.1: ipv4only.arpa and everything below it, answered here. */
  const ipv4only = async (q: Msg, name: string, type: string, clientDo: boolean, clientCd: boolean): Promise<{ msg: Msg; security: Security } | undefined> => {
    const n = normalName(name);
    if (n !== IPV4ONLY && !n.endsWith(`.${IPV4ONLY}`)) return undefined;
    if (n !== IPV4ONLY) {
      // FAULT ipv4only-subdomain-nodata: NOERROR instead of NXDOMAIN below the name.
      const r = reply(q, fault('ipv4only-subdomain-nodata') ? RCODE.NOERROR : RCODE.NXDOMAIN, FLAG.AA);
      r.authorities = [localSoa()];
      return { msg: r, security: 'insecure' };
    }
    // The DS exception: resolved the usual way so clients can see the insecure delegation.
    if (type === 'DS' && !fault('ipv4only-ds-local')) return relay(q, await fetch(name, type, 'IN', clientDo, clientCd));
    const r = reply(q, RCODE.NOERROR, FLAG.AA);
    const addrs = fault('ipv4only-a-one') ? WKA.slice(0, 1) : WKA;
    if (type === 'A') {
      r.answers = addrs.map((a) => ({ name, type: 'A', class: 'IN', ttl: LOCAL_TTL, data: a }));
    } else if (type === 'AAAA') {
      // FAULT ipv4only-validated: the local data is put through validation, which a DO=1 client sees fail.
      if (fault('ipv4only-validated') && clientDo && config.dnssec.validate) return servfail(q);
      const prefixes = fault('ipv4only-one-prefix') ? synth.allPrefixes().slice(0, 1) : synth.allPrefixes();
      r.answers = prefixes.flatMap((p) => addrs.map((a) => ({ name, type: 'AAAA', class: 'IN', ttl: LOCAL_TTL, data: embedUnder(p, a) })));
    } else {
      // FAULT ipv4only-other-nxdomain.
      if (fault('ipv4only-other-nxdomain')) r.flags = withRcode(r.flags, RCODE.NXDOMAIN);
      r.authorities = [localSoa()];
    }
    return { msg: r, security: 'insecure' };
  };

  let ptrTurn = 0;

  /** §5.3.1 option 1 (see the header comment). */
  const ptr = async (q: Msg, name: string, clientDo: boolean, clientCd: boolean): Promise<{ msg: Msg; security: Security } | undefined> => {
    if (fault('ptr-not-synthesised')) return undefined;
    const v6 = ip6ArpaAddress(name);
    if (!v6) return undefined;
    // FAULT ptr-synth-any-prefix: the last 32 bits of any address.
    const v4 = fault('ptr-synth-any-prefix') ? formatIPv4(parseIPv6(v6).subarray(12)) : synth.embeddedIpv4(v6);
    if (!v4) return undefined; // §5.3.1: not under a Pref64, ordinary resolution
    const r = reply(q, RCODE.NOERROR, FLAG.AA);
    const target = inAddrArpa(v4);
    const cname: Rr = { name, type: 'CNAME', class: 'IN', ttl: LOCAL_TTL, data: target };
    if (WKA.includes(v4) && !fault('wka-ptr-upstream')) {
      // RFC 8880 §7.2.1: no in-addr.arpa query for the well-known addresses.
      // FAULT wka-ptr-nxdomain.
      if (fault('wka-ptr-nxdomain')) return { msg: reply(q, RCODE.NXDOMAIN, FLAG.AA), security: 'insecure' };
      r.answers = [{ name, type: 'PTR', class: 'IN', ttl: LOCAL_TTL, data: IPV4ONLY }];
      return { msg: r, security: 'insecure' };
    }
    const looked = await chase(target, 'PTR', clientDo, clientCd);
    const m = looked.final.msg;
    if (!m || looked.security === 'bogus') return servfail(q);
    // FAULT ptr-cname-dangling: option 2 without checking the target.
    if (fault('ptr-cname-dangling')) {
      r.flags = withRcode(r.flags, rcode(m));
      r.answers = [cname, ...looked.chain, ...m.answers.filter((x) => !looked.chain.includes(x))];
      return { msg: r, security: 'insecure' };
    }
    // FAULT ptr-styles-alternate: every other query gets option 2's CNAME.
    if (fault('ptr-styles-alternate') && ptrTurn++ % 2 === 1) {
      r.flags = withRcode(r.flags, rcode(m));
      r.answers = [cname, ...looked.chain, ...m.answers.filter((x) => !looked.chain.includes(x))];
      return { msg: r, security: 'insecure' };
    }
    const ptrs = recordsAt(m, looked.sname, 'PTR');
    if (rcode(m) !== RCODE.NOERROR) {
      r.flags = withRcode(r.flags, rcode(m) === RCODE.NXDOMAIN ? RCODE.NXDOMAIN : RCODE.SERVFAIL);
      return { msg: r, security: 'insecure' };
    }
    r.answers = ptrs.map((p) => ({ name, type: 'PTR', class: 'IN', ttl: p.ttl, data: p.data }));
    // FAULT ptr-both-modes: the CNAME of option 2 next to the local PTR.
    if (fault('ptr-both-modes')) r.answers.unshift(cname);
    return { msg: r, security: 'insecure' };
  };

  /** §5.1: a AAAA query of class IN. */
  const aaaa = async (q: Msg, name: string, clientDo: boolean, clientCd: boolean): Promise<{ msg: Msg; security: Security }> => {
    // FAULT a-before-aaaa: the A query leaves before the AAAA one (its answer waits in the cache).
    if (fault('a-before-aaaa')) await upstream.lookup(name, 'A', 'IN', upFlags(clientDo, clientCd));
    const first = await fetch(name, 'AAAA', 'IN', clientDo, clientCd, !fault('skip-nodata-validation'));
    let basis: Fetched | undefined = first; // the answer to the original query, for §5.4's empty case
    let chain: Rr[] = [];
    let sname = normalName(name);
    let security: Security = first.security;
    if (!first.msg) {
      // §5.1.3: a timeout is RCODE 2, and §5.1.2 makes that "empty".
      // FAULT timeout-servfail.
      if (fault('timeout-servfail')) return servfail(q);
      basis = undefined;
    } else if (first.security === 'bogus') {
      // §5.5: the negative (or positive) AAAA answer must validate before A is used.
      return servfail(q);
    } else if (rcode(first.msg) === RCODE.NXDOMAIN && fault('synth-after-nxdomain')) {
      // FAULT synth-after-nxdomain: on to the A lookup as if the answer were empty.
      basis = first;
    } else if (rcode(first.msg) === RCODE.NXDOMAIN) {
      // §5.1.2: Name Error goes back as normal DNS would.
      const out = relay(q, first);
      // FAULT nxdomain-as-nodata.
      if (fault('nxdomain-as-nodata')) out.msg.flags = withRcode(out.msg.flags, RCODE.NOERROR);
      return out;
    } else if (rcode(first.msg) !== RCODE.NOERROR) {
      // §5.1.2: any other RCODE is an empty answer.
      // FAULT rcode-passthrough.
      if (fault('rcode-passthrough')) return relay(q, first);
      basis = undefined;
    } else {
      const c = await chase(name, 'AAAA', clientDo, clientCd, !fault('skip-nodata-validation'), first);
      if (c.security === 'bogus') return servfail(q);
      chain = c.chain;
      sname = c.sname;
      security = c.security;
      basis = c.final;
      const fm = c.final.msg;
      if (!fm) {
        basis = undefined;
      } else if (rcode(fm) === RCODE.NXDOMAIN) {
        const r = relay(q, c.final);
        r.msg.answers = [...chain, ...r.msg.answers.filter((x) => !chain.includes(x))];
        return r;
      } else if (rcode(fm) !== RCODE.NOERROR) {
        basis = undefined;
      }
      const real = recordsAt(fm, sname, 'AAAA');
      const good = real.filter((r) => !synth.excluded(r.data));
      if (chain.length && real.length === 0 && fault('chain-not-followed')) return relay(q, first);
      if (good.length > 0 && !fault('synth-when-aaaa-exists')) {
        // §5.1.1 / §5.1.4: the real records, the excluded ones dropped (and with them the
        // RRSIG over the whole RRset, which would no longer verify).
        const keep = fault('mixed-excluded-kept') ? real : good;
        const r = relay(q, c.final);
        const trimmed = keep.length !== real.length;
        r.msg.answers = [
          ...chain,
          ...fm!.answers.filter((x) => !chain.includes(x) && !(x.type === 'AAAA' && !keep.includes(x)) && !(trimmed && x.type === 'RRSIG' && x.data?.typeCovered === 'AAAA')),
        ];
        r.security = c.security;
        return r;
      }
    }
    // FAULT no-a-lookup: the empty AAAA answer goes back as it came.
    if (fault('no-a-lookup') && basis?.msg && rcode(basis.msg) === RCODE.NOERROR) return relay(q, basis);
    // §5.1.6: A for the name at the end of the chain.
    const a = await chase(sname, 'A', clientDo, clientCd);
    security = worst(security, a.security);
    const am = a.final.msg;
    if (!am || a.security === 'bogus') return servfail(q);
    if (rcode(am) !== RCODE.NOERROR) {
      // FAULT a-error-as-nodata.
      const rc = fault('a-error-as-nodata') ? RCODE.NOERROR : rcode(am);
      const r = reply(q, rc);
      r.answers = chain.slice();
      r.authorities = am.authorities.slice();
      return { msg: r, security: 'insecure' };
    }
    const aChain = a.chain;
    const finalName = a.sname;
    const aRecords = recordsAt(am, finalName, 'A');
    const synthesized: Rr[] = [];
    const aaaaSoaTtl = basis?.msg ? negativeTtl(basis.msg) : undefined;
    for (const rec of aRecords) {
      const addr = synth.synthesize(rec.data, deps.random);
      if (!addr) continue; // RFC 6052 §3.1: no WKP form for a non-global address
      // §5.1.7: min(A TTL, SOA TTL of the AAAA NODATA); without that SOA, min(A TTL, 600).
      // The SOA's TTL is read as RFC 2308 §5 does (the smaller of its TTL and MINIMUM), which
      // §5.1.7 invokes and which a conforming authority has already applied.
      let ttl = rec.ttl ?? 0;
      if (fault('ttl-from-a-only')) ttl = rec.ttl ?? 0;
      else if (aaaaSoaTtl !== undefined) ttl = Math.min(ttl, aaaaSoaTtl);
      else if (!fault('ttl-no-soa-uncapped')) ttl = Math.min(ttl, NO_SOA_TTL_CAP);
      // FAULT synth-owner-qname.
      synthesized.push({ name: fault('synth-owner-qname') ? q.questions[0].name : rec.name, type: 'AAAA', class: 'IN', ttl, data: addr });
    }
    if (synthesized.length === 0) {
      // §5.1.6 / §5.4: nothing to synthesise from; the answer to the original query goes back.
      // FAULT empty-a-nxdomain.
      if (fault('empty-a-nxdomain')) return { msg: reply(q, RCODE.NXDOMAIN), security: 'insecure' };
      if (basis?.msg && rcode(basis.msg) === RCODE.NOERROR) {
        const r = relay(q, basis);
        // §5.1.4: the excluded AAAA (all of them, or we would not be here) never reach the client.
        r.msg.answers = [...chain, ...r.msg.answers.filter((x) => !chain.includes(x) && x.type !== 'AAAA' && !(x.type === 'RRSIG' && x.data?.typeCovered === 'AAAA'))];
        return { msg: r.msg, security: security };
      }
      const r = relay(q, a.final);
      r.msg.answers = [...chain, ...aChain];
      return { msg: r.msg, security };
    }
    const r = reply(q, RCODE.NOERROR);
    let answers: Rr[] = [...chain, ...aChain.filter((x) => !chain.includes(x))];
    // FAULT chain-dropped.
    if (fault('chain-dropped')) answers = [];
    // FAULT a-records-kept.
    if (fault('a-records-kept')) answers.push(...aRecords);
    // FAULT synth-when-aaaa-exists: the real AAAA stay next to the synthetic ones.
    if (fault('synth-when-aaaa-exists') && basis?.msg) answers.push(...recordsAt(basis.msg, sname, 'AAAA'));
    r.answers = [...answers, ...synthesized];
    // §5.4: authority and additional from the response that was the basis of synthesis (the A one).
    const from = fault('authority-from-aaaa') && basis?.msg ? basis.msg : am;
    r.authorities = from.authorities.slice();
    r.additionals = from.additionals.filter((x) => x.type !== 'OPT');
    // FAULT additional-stripped / additional-synthesised (§5.3.2).
    if (fault('additional-stripped')) r.additionals = [];
    if (fault('additional-synthesised')) {
      r.additionals = r.additionals.map((x) => {
        const v6 = x.type === 'A' ? synth.synthesize(x.data, deps.random) : undefined;
        return v6 ? { ...x, type: 'AAAA', data: v6 } : x;
      });
    }
    return { msg: r, security: fault('no-ad-on-synth') ? 'insecure' : security };
  };

  const answer = async (q: Msg, clientDo: boolean, clientCd: boolean): Promise<{ msg: Msg; security: Security }> => {
    const { name, type } = q.questions[0];
    const cls = q.questions[0].class ?? 'IN';
    const special = dns64 || fault('forwarder-ipv4only-special');
    if (special && cls === 'IN' && !fault('ipv4only-upstream')) {
      const r = await ipv4only(q, name, type, clientDo, clientCd);
      if (r) return r;
    }
    if (!dns64) return relay(q, await fetch(name, type, cls, clientDo, clientCd));
    // RFC 8880 §7.2 item 4: a resolver gives 170/171.0.0.192.in-addr.arpa no special treatment.
    // FAULT wka-reverse-local: answered here anyway.
    if (fault('wka-reverse-local') && type === 'PTR' && WKA.some((a) => sameName(name, inAddrArpa(a)))) {
      const r = reply(q, RCODE.NOERROR, FLAG.AA);
      r.answers = [{ name, type: 'PTR', class: 'IN', ttl: LOCAL_TTL, data: IPV4ONLY }];
      return { msg: r, security: 'insecure' };
    }
    if (type === 'PTR' && cls === 'IN') {
      const r = await ptr(q, name, clientDo, clientCd);
      if (r) return r;
    }
    // §5.5 item 3: CD=1 with DO=1 is a plain recursive resolver's answer.
    const passThrough = clientCd && clientDo && !fault('synth-with-cd');
    // §5.1: classes other than IN behave as if DNS64 were not configured.
    if (type === 'AAAA' && (cls === 'IN' || fault('synth-any-class')) && !passThrough) {
      if (cls !== 'IN') return aaaaOtherClass(q, name, cls, clientDo, clientCd);
      return aaaa(q, name, clientDo, clientCd);
    }
    const out = relay(q, await fetch(name, type, cls, clientDo, clientCd));
    // FAULT other-rr-additional-synthesised.
    if (fault('other-rr-additional-synthesised')) {
      out.msg.additionals = out.msg.additionals.map((x) => {
        const v6 = x.type === 'A' ? synth.synthesize(x.data, deps.random) : undefined;
        return v6 ? { ...x, type: 'AAAA', data: v6 } : x;
      });
    }
    // FAULT other-rr-ttl-capped (§5.3.3 wants them unchanged).
    if (fault('other-rr-ttl-capped') && type !== 'AAAA') out.msg.answers = out.msg.answers.map((x) => ({ ...x, ttl: Math.min(x.ttl ?? 0, 60) }));
    return out;
  };

  /** Only under the synth-any-class fault: a class CH/HS AAAA query synthesised from the A of that class. */
  const aaaaOtherClass = async (q: Msg, name: string, cls: string, clientDo: boolean, clientCd: boolean) => {
    const a = await fetch(name, 'A', cls, clientDo, clientCd);
    if (!a.msg) return servfail(q);
    const r = reply(q, RCODE.NOERROR);
    r.answers = recordsAt(a.msg, name, 'A').map((x) => ({ name: x.name, type: 'AAAA', class: cls, ttl: x.ttl, data: formatIPv6(embedBytes(synth.prefixFor(x.data), x.data)) }));
    return { msg: r, security: 'insecure' as Security };
  };

  return {
    async handle(bytes: Buffer, client: ClientInfo): Promise<Buffer | undefined> {
      try {
        return await handleOne(bytes, client);
      } catch {
        // Whatever went wrong (a message dns-packet decodes but cannot encode again, say),
        // the client gets a header-only SERVFAIL rather than silence.
        return formErrBytes(bytes, RCODE.SERVFAIL);
      }
    },
    flush: () => upstream.flush(),
  };

  async function handleOne(bytes: Buffer, client: ClientInfo): Promise<Buffer | undefined> {
    {
      const q = decode(bytes);
      if (!q) return formErrBytes(bytes);
      if (q.type === 'response') return undefined; // never answer a response
      const base = (rc: number) => {
        const r = responseTo(q, rc);
        const e = edns(q);
        if (e.present) r.additionals = [optRecord(false)];
        return encode(r);
      };
      const opcode = (q.flags >> 11) & 0xf;
      if (opcode !== 0) return base(RCODE.NOTIMP);
      if (q.questions.length !== 1) return base(RCODE.FORMERR);
      // A class or type number dns-packet has no name for cannot be copied back faithfully.
      if (/^UNKNOWN/.test(q.questions[0].class)) return formErrBytes(bytes, RCODE.NOTIMP);
      // RFC 6891 §6.1.1: more than one OPT is FORMERR; §6.1.3: versions above 0 get BADVERS (16).
      const opts = q.additionals.filter((x) => x.type === 'OPT');
      if (opts.length > 1) return base(RCODE.FORMERR);
      if (opts.length === 1 && (opts[0].ednsVersion ?? 0) > 0) {
        const r = responseTo(q, 0);
        r.additionals = [{ ...optRecord(false), extendedRcode: 1 }];
        return encode(r);
      }
      // FAULT acl-ignored.
      if (!fault('acl-ignored') && !inAcl(client.address, config.acl)) return base(RCODE.REFUSED);
      const e = edns(q);
      const clientDo = e.do;
      const clientCd = (q.flags & FLAG.CD) !== 0;
      let result: { msg: Msg; security: Security };
      try {
        result = await answer(q, clientDo, clientCd);
      } catch {
        // An internal failure must not take the server down; the client sees SERVFAIL.
        result = servfail(q);
      }
      const r = result.msg;
      // RFC 4035 §3.2.1: DNSSEC records only for DO=1 (or when asked for by type).
      const qtype = q.questions[0].type;
      // FAULT rrsig-stripped: removed even for DO=1.
      const strip = !clientDo || fault('rrsig-stripped');
      if (strip) {
        const keep = (x: Rr) => !isDnssecType(x.type) || (x.type === qtype && !fault('rrsig-stripped'));
        r.answers = r.answers.filter(keep);
        r.authorities = r.authorities.filter(keep);
        r.additionals = r.additionals.filter(keep);
      }
      // §5.5: AD only for secure data, CD=0, and (item 1) never with DO=0.
      // FAULT no-ad-clear: DO is not looked at.
      const ad = validating && result.security === 'secure' && !clientCd && (clientDo || fault('no-ad-clear'));
      r.flags = ad ? r.flags | FLAG.AD : r.flags & ~FLAG.AD;
      r.id = q.id;
      // §5.4: the question as the client sent it, letter case included.
      r.questions = [{ ...q.questions[0], name: fault('question-lowercased') ? q.questions[0].name.toLowerCase() : q.questions[0].name }];
      if (e.present) r.additionals = [...r.additionals.filter((x) => x.type !== 'OPT'), optRecord(clientDo)];
      else r.additionals = r.additionals.filter((x) => x.type !== 'OPT');
      const udpLimit = e.present && !fault('edns-size-ignored') ? e.udpSize : 512;
      // FAULT tcp-truncated: the UDP limit applied to TCP too.
      if (client.transport === 'tcp') return fault('tcp-truncated') ? fitUdp(r, udpLimit) : encode(r);
      // FAULT no-truncation.
      if (fault('no-truncation')) return encode(r);
      // FAULT edns-size-ignored: 512 whatever the client offered.
      return fitUdp(r, Math.min(udpLimit, 65535));
    }
  }
}
