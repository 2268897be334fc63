/**
 * RFC 6146 §3.5.2.2, state CLOSED (no session for the 5-tuple): the V6 SYN
 * that opens a session (V6 INIT), the V4 SYN that is held for
 * TCP_INCOMING_SYN when no BIB entry exists or address-dependent filtering
 * refuses it (V4 INIT, then ICMPv4 port unreachable carrying the SYN; RFC
 * 5382 REQ-4), the V4 SYN forwarded at once under endpoint-independent
 * filtering, and segments without SYN (dropped without a BIB entry,
 * translated without opening a session when one exists).
 */
import type { Expectation } from '../../harness/packet/compare';
import { T } from '../../harness/packet/compare';
import type { Packet, TCPFlags } from '../../harness/packet/types';
import type { CaseContext, CaseDef, Seen } from '../../harness/runner/case';
import { pool4Addresses } from '../lib/flows';
import {
  C6A,
  S4,
  S4B,
  SUITE,
  conn,
  data,
  emitted,
  expect4,
  expect6,
  from4,
  from6,
  open,
  out4,
  out6,
  reached6,
  silent,
  timeline,
  whatCameOut,
} from './lib';

const EIF = { filtering: 'endpoint-independent' } as const;
const ADF = { filtering: 'address-dependent' } as const;

/** A SYN as a real stack sends it (MSS option), so the quote check covers options too. */
export function heldSyn(src: string, sport: number, dst: string, dport: number, seq: number): Packet {
  return {
    ipv4: { src, dst, ttl: 57, id: 0x4d2e, df: true, tos: 0x28 },
    tcp: { sport, dport, seq, ack: 0, flags: { syn: true }, window: 64240, options: [{ kind: 2, data: Buffer.from([0x05, 0xb4]) }] },
  };
}

/**
 * ICMPv4 port unreachable (3/3) back to the SYN's sender, quoting the held
 * SYN exactly as it arrived (RFC 6146 §3.5.2.2 V4 INIT: "containing the
 * IPv4 SYN packet stored"), field by field: the whole IPv4 header and TCP
 * header including its checksum and options.
 */
function portUnreachableFor(syn: Seen): Expectation {
  const h = syn.packet.ipv4!;
  const tcp = syn.packet.tcp!;
  const f = tcp.flags!;
  return {
    ipv4: { dst: h.src, protocol: 1, checksum: T.validChecksum() },
    icmpv4: {
      type: 3,
      code: 3,
      checksum: T.validChecksum(),
      quote: {
        ipv4: {
          version: 4,
          ihl: h.ihl,
          tos: h.tos,
          totalLength: h.totalLength,
          id: h.id,
          df: h.df,
          mf: false,
          fragOffset: 0,
          ttl: h.ttl,
          protocol: 6,
          checksum: h.checksum,
          src: h.src,
          dst: h.dst,
        },
        tcp: {
          sport: tcp.sport,
          dport: tcp.dport,
          seq: tcp.seq,
          ack: tcp.ack,
          dataOffset: tcp.dataOffset,
          flags: { syn: true, ack: false, fin: false, rst: false, psh: false, urg: false, ece: !!f.ece, cwr: !!f.cwr },
          window: tcp.window,
          checksum: tcp.checksum,
          urgent: tcp.urgent,
          options: [{ kind: 2, data: Buffer.from([0x05, 0xb4]) }],
        },
      },
    },
  };
}

/**
 * The common timeline of an unsolicited SYN: nothing at once, nothing for
 * just under 6 s (RFC 5382 REQ-4 "for at least 6 seconds"), then ICMPv4
 * port unreachable once TCP_INCOMING_SYN has run out (RFC 6146 §3.5.2.2).
 */
async function heldThenRefused(
  t: CaseContext,
  syn: Packet,
  ids: { hold: string; early: string; icmp: string[] },
): Promise<void> {
  const clock = timeline(t);
  const first = await t.send(4, syn);
  const sent = first.sent!;
  const early = await clock.at(5.9);
  const quiet = silent(first) && silent(early);
  t.expect(
    ids.hold,
    'the SYN is neither forwarded nor answered: no BIB-less delivery, no ICMP, no RST for 5.9 s',
    quiet,
    `at once: ${whatCameOut(first)}; until 5.9 s: ${whatCameOut(early)}`,
    [...emitted(first), ...emitted(early)],
  );
  t.expect(
    ids.early,
    'nothing is sent back to the SYN\'s sender for at least 6 s (5.9 s observed)',
    first.out4.length === 0 && early.out4.length === 0,
    `at once: ${whatCameOut(first)}; until 5.9 s: ${whatCameOut(early)}`,
    [...first.out4, ...early.out4],
  );
  const syn4 = t.config.timeouts.tcpIncomingSyn;
  const end = Math.max(10, syn4 + 4);
  const late = await clock.at(end);
  t.note(`TCP_INCOMING_SYN on the target: ${syn4} s; watched until ${end} s`);
  const icmp = late.out4.filter((s) => s.packet.icmpv4);
  t.expectPacket(ids.icmp, `ICMPv4 port unreachable (3/3) to ${sent.packet.ipv4!.src} quoting the held SYN, by ${end} s`, icmp.length === 1 ? icmp[0] : undefined, portUnreachableFor(sent));
  t.expect(ids.hold, 'the held SYN never reaches the IPv6 side', late.out6.length === 0, whatCameOut(late), late.out6);
}

const v6SynOpens: CaseDef = {
  id: 'closed-v6-syn-opens-session',
  suite: SUITE,
  title: 'CLOSED + V6 SYN: a mapping and a V6 INIT session are made and the SYN leaves from (T,t); the answer gets back',
  requirements: ['6146-3.5.2.2-v6syn-open'],
  async run(t) {
    const c = conn(t, { cport: 42000 });
    const syn = await from6(t, c, { syn: true });
    t.expectPacket('6146-3.5.2.2-v6syn-open', 'the SYN is translated from a pool transport address (T,t) to the server', out4(syn), expect4(t, c, syn.packet));
    const o = out4(syn)?.packet;
    if (o?.tcp && o.ipv4) c.map = { addr: o.ipv4.src, port: o.tcp.sport };
    if (!c.map) return;
    // The session exists: the server's SYN+ACK to (T,t) finds it (V6 INIT -> ESTABLISHED).
    const synack = await from4(t, c, { syn: true, ack: true });
    t.expectPacket('6146-3.5.2.2-v6syn-open', `the SYN+ACK to ${c.map.addr}:${c.map.port} reaches the client through the new session`, out6(synack), expect6(c, synack.packet));
  },
};

const v4SynNoBib: CaseDef = {
  id: 'closed-v4-syn-without-mapping-held',
  suite: SUITE,
  title: 'CLOSED + V4 SYN to an unmapped (T,t): held silently for TCP_INCOMING_SYN (6 s), then ICMPv4 3/3 carrying the SYN',
  requirements: ['6146-3.5.2.2-v4syn-nobib-hold', '5382-4.3-req4-no-early-response', '6146-3.5.2.2-v4init-expire-icmp', '5382-4.3-req4-icmp'],
  async run(t) {
    // RFC 6146 §3.5.2.2 CLOSED, V4 SYN, (X,x) not in the TCP BIB: V4 INIT for TCP_INCOMING_SYN, the packet stored.
    const T0 = pool4Addresses(t)[0];
    await heldThenRefused(t, heldSyn(S4, 40123, T0, 33333, 0x1234_5678), {
      hold: '6146-3.5.2.2-v4syn-nobib-hold',
      early: '5382-4.3-req4-no-early-response',
      icmp: ['6146-3.5.2.2-v4init-expire-icmp', '5382-4.3-req4-icmp'],
    });
  },
};

const v4SynAdf: CaseDef = {
  id: 'closed-v4-syn-adf-held',
  suite: SUITE,
  title: 'ADF, CLOSED + V4 SYN to a mapped (T,t) from an address the client never contacted: held for TCP_INCOMING_SYN, then ICMPv4 3/3',
  requirements: ['6146-3.5.2.2-v4syn-bib-adf-hold', '5382-4.3-req4-no-early-response', '6146-3.5.2.2-v4init-expire-icmp', '5382-4.3-req4-icmp'],
  needs: ADF,
  async run(t) {
    const c = conn(t, { cport: 42100 });
    if (!(await open(t, c))) {
      t.expect(this.requirements, 'the client\'s SYN to the first server is translated (the mapping to aim at)', false, 'no single SYN came out on the IPv4 side');
      return;
    }
    const m = c.map!;
    t.note(`mapping of [${c.client}]:${c.cport}: ${m.addr}:${m.port}, talking to ${S4} only`);
    // §3.5.2.2 CLOSED, V4 SYN, (X,x) in the BIB, Address-Dependent Filtering: V4 INIT for TCP_INCOMING_SYN, stored.
    await heldThenRefused(t, heldSyn(S4B, 40124, m.addr, m.port, 0x2345_6789), {
      hold: '6146-3.5.2.2-v4syn-bib-adf-hold',
      early: '5382-4.3-req4-no-early-response',
      icmp: ['6146-3.5.2.2-v4init-expire-icmp', '5382-4.3-req4-icmp'],
    });
  },
};

const v4SynPolicy: CaseDef = {
  id: 'closed-v4-syn-held-silently-by-policy',
  suite: SUITE,
  title: 'With originated ICMPv4 errors turned off by policy, an unsolicited SYN is dropped silently: no ICMP and no RST at any time',
  requirements: ['5382-4.3-req4a-policy'],
  // The policy: the translator sends no ICMPv4 errors it originates (RFC 7915 §4.4 "not sent", RFC 5508 REQ-9).
  needs: { icmpErrors: { send4: false } },
  async run(t) {
    const T0 = pool4Addresses(t)[0];
    const clock = timeline(t);
    const first = await t.send(4, heldSyn(S4, 40125, T0, 33335, 0x3456_789a));
    const end = Math.max(10, t.config.timeouts.tcpIncomingSyn + 4);
    const later = await clock.at(end);
    t.expect(
      '5382-4.3-req4a-policy',
      `REQ-4a: the port unreachable would break the policy, so the SYN is dropped silently (watched for ${end} s, past TCP_INCOMING_SYN)`,
      silent(first) && silent(later),
      `at once: ${whatCameOut(first)}; until ${end} s: ${whatCameOut(later)}`,
      [...emitted(first), ...emitted(later)],
    );
  },
};

const v4SynEif: CaseDef = {
  id: 'closed-v4-syn-eif-forwarded',
  suite: SUITE,
  title: 'EIF, CLOSED + V4 SYN to a mapped (T,t) from any address: translated to the mapping\'s (X\',x) at once, no ICMP later',
  requirements: ['6146-3.5.2.2-v4syn-bib-eif-fwd'],
  needs: EIF,
  async run(t) {
    const a = conn(t, { cport: 42200 });
    if (!(await open(t, a))) {
      t.expect(this.requirements, 'the client\'s SYN is translated (the mapping to aim at)', false, 'no single SYN came out on the IPv4 side');
      return;
    }
    // A second connection to the same (X',x), initiated by another server.
    const b = conn(t, { cport: 42200, server: S4B, sport: 5222, map: a.map });
    const syn = await from4(t, b, { syn: true });
    t.expectPacket('6146-3.5.2.2-v4syn-bib-eif-fwd', `the SYN from ${S4B} to ${a.map!.addr}:${a.map!.port} reaches [${C6A}]:${a.cport} from [Pref64::${S4B}]`, out6(syn), expect6(b, syn.packet));
    const later = await timeline(t).at(10);
    t.expect('6146-3.5.2.2-v4syn-bib-eif-fwd', 'the forwarded SYN is not also answered with an ICMP error (it was not held)', later.out4.length === 0, whatCameOut(later), later.out4);
  },
};

/** Segments without SYN that must find nothing: one case per kind. */
const NON_SYN: { kind: string; flags: TCPFlags; payload?: Buffer }[] = [
  { kind: 'ack', flags: { ack: true } },
  { kind: 'data', flags: { ack: true, psh: true }, payload: data('stray data') },
  { kind: 'fin', flags: { fin: true, ack: true } },
  { kind: 'rst', flags: { rst: true } },
];

function nonSynWithoutMapping(kind: (typeof NON_SYN)[number], i: number): CaseDef {
  return {
    id: `closed-${kind.kind}-without-mapping-dropped`,
    suite: SUITE,
    title: `CLOSED, no BIB entry: a ${kind.kind.toUpperCase()} segment is discarded silently from either side`,
    requirements: ['6146-3.5.2.2-closed-nonsyn-nobib'],
    async run(t) {
      // Outbound from a port that never sent a SYN, and inbound to a pool port no mapping uses (fresh target).
      const c = conn(t, { cport: 42300 + i, map: { addr: pool4Addresses(t)[0], port: 33400 + i } });
      c.cnext += 1;
      c.snext += 1;
      const o = await from6(t, c, kind.flags, kind.payload);
      const n = await from4(t, c, kind.flags, kind.payload);
      t.expect(
        '6146-3.5.2.2-closed-nonsyn-nobib',
        `${kind.kind.toUpperCase()} from [${c.client}]:${c.cport} (no mapping) and ${kind.kind.toUpperCase()} from ${c.server} to ${c.map!.addr}:${c.map!.port} (unmapped): nothing comes out`,
        silent(o.ex) && silent(n.ex),
        `outbound: ${whatCameOut(o.ex)}; inbound: ${whatCameOut(n.ex)}`,
        [...emitted(o.ex), ...emitted(n.ex)],
      );
    },
  };
}

const nonSynWithMapping: CaseDef = {
  id: 'closed-ack-with-mapping-translated',
  suite: SUITE,
  title: 'CLOSED with a BIB entry: an outbound ACK to a new destination is translated from (T,t) but opens no session (ADF still filters that destination)',
  requirements: ['6146-3.5.2.2-closed-nonsyn-bib'],
  needs: ADF,
  async run(t) {
    const a = conn(t, { cport: 42400 });
    if (!(await open(t, a))) {
      t.expect(this.requirements, 'the client\'s SYN is translated (the mapping to reuse)', false, 'no single SYN came out on the IPv4 side');
      return;
    }
    // Same (X',x), another destination: no session exists for this 5-tuple, the BIB entry does.
    const b = conn(t, { cport: 42400, server: S4B, sport: 443, map: a.map });
    b.cnext += 1;
    b.snext += 1;
    const ack = await from6(t, b, { ack: true });
    t.expectPacket('6146-3.5.2.2-closed-nonsyn-bib', `the ACK to ${S4B}:443 is translated from the mapping ${a.map!.addr}:${a.map!.port}`, out4(ack), expect4(t, b, ack.packet));
    // "The state remains unchanged": no session, so address-dependent filtering still refuses the destination.
    const back = await from4(t, b, { ack: true });
    t.expect(
      '6146-3.5.2.2-closed-nonsyn-bib',
      `no session was opened: an ACK from ${S4B}:443 back to the mapping is filtered`,
      !reached6(back, b) && back.ex.out6.length === 0,
      whatCameOut(back.ex),
      emitted(back.ex),
    );
  },
};

export const closedCases: CaseDef[] = [v6SynOpens, v4SynNoBib, v4SynAdf, v4SynPolicy, v4SynEif, ...NON_SYN.map(nonSynWithoutMapping), nonSynWithMapping];
