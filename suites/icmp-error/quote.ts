/**
 * The packet inside a translated error and the message around it:
 * RFC 7915 §4.3/§5.3 (the quote translated "just like a normal IP packet"
 * with its TTL / Hop Limit copied, one level only, sizes 1280 / 576),
 * §4.2/§5.2 "ICMP Error Payload" (RFC 4884 length attribute recomputed,
 * extension truncated), RFC 6146 §3.4 (the tuple is the quote's, swapped;
 * too short to hold it, or an error in an error: discarded) and RFC 5508
 * REQ-3 (which checksums are checked and which are not).
 */
import { LAB } from '../../harness/lab/addressing';
import { decode, encode } from '../../harness/packet/codec';
import { T } from '../../harness/packet/compare';
import type { ICMPExtensions, Packet } from '../../harness/packet/types';
import type { CaseDef, Seen } from '../../harness/runner/case';
import { echo6, only, v6 } from '../lib/flows';
import { C6, QUOTE_TTL, R4, R6, S4, SUITE, err4, err6, expectNothing, openBoth, openOut, openUdp, quote4, quote6, setupFailed, whatCameOut } from './lib';

/** An RFC 4884 extension structure with one object (class 1, c-type 1: an MPLS label stack entry, RFC 4950) of `n` data octets. */
function extension(n = 4): ICMPExtensions {
  const data = Buffer.alloc(n, 0x5a);
  data.writeUInt32BE(0x0001f1ff, 0); // label 31, TC 0, S 1, TTL 255
  return { version: 2, objects: [{ classNum: 1, cType: 1, data }] };
}

/** RFC 4884 §4: an original datagram field of `len` octets, zero-padded to `unit` and to at least 128 octets. */
function padded(len: number, unit: number): number {
  return Math.max(128, Math.ceil(len / unit) * unit);
}

/** The outbound datagram with `n` octets of data: a bigger packet of the same flow, as a router would quote it. */
function bigQuote4(q: Packet, n: number): Packet {
  return { ...q, ipv4: { ...q.ipv4!, totalLength: undefined, checksum: undefined }, udp: { ...q.udp!, length: undefined, checksum: undefined }, payload: Buffer.alloc(n, 0x61) };
}

function bigQuote6(q: Packet, n: number): Packet {
  return { ...q, ipv6: { ...q.ipv6!, payloadLength: undefined }, udp: { ...q.udp!, length: undefined, checksum: undefined }, payload: Buffer.alloc(n, 0x62) };
}

/** Bytes of `p` cut to `n` octets, decoded again: a quote shorter than the packet (RFC 792 quotes 8 octets of data). */
function cut(p: Packet, n: number): Packet {
  return decode(encode(p).subarray(0, n));
}

/** The same error with its ICMP checksum spoilt. */
function badChecksum(p: Packet): Packet {
  const d = decode(encode(p));
  const layer = d.icmpv4 ? 'icmpv4' : 'icmpv6';
  return { ...p, [layer]: { ...p[layer], checksum: (d[layer]!.checksum! ^ 0x5a5a) & 0xffff } };
}

const sizeCases: CaseDef[] = [
  {
    id: 'v4-error-cut-to-1280',
    suite: SUITE,
    title: 'A 1500-octet ICMPv4 3/3 becomes an ICMPv6 1/4 of at most 1280 octets, its quote cut at the end',
    requirements: ['7915-4.3-icmpv6-size'],
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      const quoted = bigQuote4(quote4(f), 1444); // 20 + 8 + 1444 = 1472; the error is 1500 octets
      const sent = err4(f, { type: 3, code: 3 }, quoted, S4);
      const ex = await t.send(4, sent);
      const e = only(ex.out6);
      t.note(`ICMPv4 error of ${encode(sent).length} octets sent`);
      t.expect('7915-4.3-icmpv6-size', 'the ICMPv6 error fits in 1280 octets (RFC 4443 §2.4(c))', !!e && e.bytes.length <= 1280, e ? `${e.bytes.length} octets` : whatCameOut(ex), e ? [e] : []);
      t.expectPacket('7915-4.3-icmpv6-size', 'it is the port unreachable with the quote cut, not dropped: header and ports intact, Payload Length of the whole original', e, {
        ipv6: { dst: f.client },
        icmpv6: { type: 1, code: 4, quote: { ipv6: { src: f.client, dst: f.server6, payloadLength: 8 + 1444, hopLimit: QUOTE_TTL }, udp: { sport: f.sport, dport: f.dport } } },
      });
    },
  },
  {
    id: 'v6-error-cut-to-576',
    suite: SUITE,
    title: 'A 700-octet ICMPv6 1/4 becomes an ICMPv4 3/3 of at most 576 octets, its quote cut at the end',
    requirements: ['7915-5.3-icmpv4-size'],
    async run(t) {
      const both = await openBoth(t, this.requirements);
      if (!both) return;
      const { f, in6 } = both;
      const quoted = bigQuote6(quote6(in6), 604); // 40 + 8 + 604 = 652; the error is 700 octets
      const sent = err6(f, { type: 1, code: 4 }, quoted, C6);
      const ex = await t.send(6, sent);
      const e = only(ex.out4);
      t.note(`ICMPv6 error of ${encode(sent).length} octets sent`);
      t.expect('7915-5.3-icmpv4-size', 'the ICMPv4 error fits in 576 octets (RFC 1812 §4.3.2.3)', !!e && e.bytes.length <= 576, e ? `${e.bytes.length} octets` : whatCameOut(ex), e ? [e] : []);
      t.expectPacket('7915-5.3-icmpv4-size', 'it is the port unreachable with the quote cut, not dropped: header and ports intact, Total Length of the whole original', e, {
        ipv4: { dst: f.server },
        icmpv4: { type: 3, code: 3, quote: { ipv4: { src: f.server, dst: f.T, totalLength: 20 + 8 + 604, ttl: QUOTE_TTL }, udp: { sport: f.dport, dport: f.t } } },
      });
    },
  },
];

const extensionCases: CaseDef[] = [
  {
    id: 'v4-extension-length',
    suite: SUITE,
    title: 'ICMPv4 11/0 with an RFC 4884 extension: the ICMPv6 3/0 length attribute counts the longer translated quote in 64-bit words, extension intact',
    requirements: ['7915-4.2-ext-length'],
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      for (const n of [0, 172]) {
        const quoted = n ? bigQuote4(quote4(f), n) : quote4(f);
        const qlen = encode(quoted).length;
        const want = padded(qlen + 20, 8) / 8;
        const ext = extension();
        const ex = await t.send(4, { ipv4: { src: R4, dst: f.T, ttl: 64 }, icmpv4: { type: 11, code: 0, quote: quoted, extensions: ext } });
        t.expectPacket('7915-4.2-ext-length', `quote of ${qlen} octets (ICMPv4 length ${padded(qlen, 4) / 4} words) -> ${qlen + 20} octets: ICMPv6 length ${want} (64-bit words), the extension object as sent`, only(ex.out6), {
          icmpv6: {
            type: 3,
            code: 0,
            length: want,
            quote: { ipv6: { src: f.client, dst: f.server6 }, udp: { sport: f.sport, dport: f.dport } },
            extensions: { version: 2, checksum: T.validChecksum(), objects: [{ classNum: 1, cType: 1, data: ext.objects[0].data }] },
          },
        });
      }
    },
  },
  {
    id: 'v6-extension-length',
    suite: SUITE,
    title: 'ICMPv6 3/0 with an RFC 4884 extension: the ICMPv4 11/0 length attribute counts the shorter translated quote in 32-bit words, extension intact',
    requirements: ['7915-5.2-ext-length'],
    async run(t) {
      const both = await openBoth(t, this.requirements);
      if (!both) return;
      const { f, in6 } = both;
      for (const n of [0, 200]) {
        const quoted = n ? bigQuote6(quote6(in6), n) : quote6(in6);
        const qlen = encode(quoted).length;
        const want = padded(qlen - 20, 4) / 4;
        const ext = extension();
        const ex = await t.send(6, { ipv6: { src: R6, dst: f.server6, hopLimit: 64 }, icmpv6: { type: 3, code: 0, quote: quoted, extensions: ext } });
        t.expectPacket('7915-5.2-ext-length', `quote of ${qlen} octets (ICMPv6 length ${padded(qlen, 8) / 8} words) -> ${qlen - 20} octets: ICMPv4 length ${want} (32-bit words), the extension object as sent`, only(ex.out4), {
          icmpv4: {
            type: 11,
            code: 0,
            length: want,
            quote: { ipv4: { src: f.server, dst: f.T }, udp: { sport: f.dport, dport: f.t } },
            extensions: { version: 2, checksum: T.validChecksum(), objects: [{ classNum: 1, cType: 1, data: ext.objects[0].data }] },
          },
        });
      }
    },
  },
  {
    id: 'v4-extension-truncated',
    suite: SUITE,
    title: 'ICMPv4 11/0 whose 1208-octet extension would make the ICMPv6 error exceed 1280 octets: the extension is truncated, the quote kept',
    requirements: ['7915-4.2-ext-truncate'],
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      const ext = extension(1200);
      const sent: Packet = { ipv4: { src: R4, dst: f.T, ttl: 64 }, icmpv4: { type: 11, code: 0, quote: quote4(f), extensions: ext } };
      const ex = await t.send(4, sent);
      const e = only(ex.out6);
      t.note(`ICMPv4 error of ${encode(sent).length} octets sent`);
      t.expect('7915-4.2-ext-truncate', 'the ICMPv6 error is at most 1280 octets', !!e && e.bytes.length <= 1280, e ? `${e.bytes.length} octets` : whatCameOut(ex), e ? [e] : []);
      t.expectPacket('7915-4.2-ext-truncate', 'quote and the start of the extension are there (truncated, not dropped)', e, {
        icmpv6: {
          type: 3,
          code: 0,
          length: padded(encode(quote4(f)).length + 20, 8) / 8,
          quote: { ipv6: { src: f.client, dst: f.server6 }, udp: { sport: f.sport, dport: f.dport } },
          extensions: { version: 2, objects: T.arrayPrefix([{ classNum: 1, cType: 1 }]) },
        },
      });
    },
  },
];

/** An error about an error the NAT64 sent: the inner error as it would have crossed (RFC 6146 §3.4 "containing an ICMP error message"). */
const levelCases: CaseDef[] = [
  {
    id: 'v4-error-in-error',
    suite: SUITE,
    title: 'ICMPv4 3/1 quoting an ICMPv4 3/3 (which quotes the server\'s datagram to T:t) is discarded, not translated one level deeper',
    requirements: ['6146-3.4-icmperr-in-icmperr', '7915-4.3-one-level'],
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      const innerError: Packet = {
        ipv4: { src: f.T, dst: f.server, ttl: QUOTE_TTL },
        icmpv4: { type: 3, code: 3, quote: { ipv4: { src: f.server, dst: f.T, ttl: 63 }, udp: { sport: f.dport, dport: f.t }, payload: Buffer.from('reply') } },
      };
      const ex = await t.send(4, err4(f, { type: 3, code: 1 }, innerError));
      expectNothing(t, this.requirements, 'error in an error: nothing on either side', ex);
    },
  },
  {
    id: 'v6-error-in-error',
    suite: SUITE,
    title: "ICMPv6 1/0 quoting an ICMPv6 1/4 (which quotes the client's datagram) is discarded, not translated one level deeper",
    requirements: ['6146-3.4-icmperr-in-icmperr', '7915-5.3-one-level'],
    async run(t) {
      const both = await openBoth(t, this.requirements);
      if (!both) return;
      const { f } = both;
      const innerError: Packet = {
        ipv6: { src: f.server6, dst: f.client, hopLimit: QUOTE_TTL },
        icmpv6: { type: 1, code: 4, quote: { ipv6: { src: f.client, dst: f.server6, hopLimit: 64 }, udp: { sport: f.sport, dport: f.dport }, payload: f.payload } },
      };
      const ex = await t.send(6, err6(f, { type: 1, code: 0 }, innerError));
      expectNothing(t, this.requirements, 'error in an error: nothing on either side', ex);
    },
  },
];

const tupleCases: CaseDef[] = [
  {
    id: 'short-quote-udp',
    suite: SUITE,
    title: 'ICMPv4 3/3 quoting 20 or 22 octets (no room for both ports) is discarded; one quoting 28 octets (RFC 792) is translated',
    requirements: ['6146-3.4-icmperr-short-5tuple'],
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      for (const n of [20, 22]) {
        const ex = await t.send(4, err4(f, { type: 3, code: 3 }, cut(quote4(f), n), S4));
        expectNothing(t, '6146-3.4-icmperr-short-5tuple', `quote of ${n} octets: nothing on either side, no ICMP reply`, ex);
      }
      // The control: 8 octets of UDP header are enough to recover the 5-tuple.
      const ex = await t.send(4, err4(f, { type: 3, code: 3 }, cut(quote4(f), 28), S4));
      t.expectPacket('6146-3.4-icmperr-short-5tuple', 'control: a quote of 28 octets is enough and is translated to ICMPv6 1/4', only(ex.out6), {
        icmpv6: { type: 1, code: 4, quote: { ipv6: { src: f.client, dst: f.server6 }, udp: { sport: f.sport, dport: f.dport } } },
      });
    },
  },
  {
    id: 'short-quote-echo',
    suite: SUITE,
    title: 'ICMPv4 11/0 quoting an echo request cut before its Identifier is discarded; one quoting 8 octets of it is translated',
    requirements: ['6146-3.4-icmperr-short-3tuple'],
    async run(t) {
      const sent = echo6(t, { id: 0x4242, seq: 9 });
      const ex0 = await t.send(6, sent);
      const out = only(ex0.out4);
      if (!out?.packet.ipv4) return setupFailed(t, this.requirements, 'the echo request is translated', ex0);
      const T4 = out.packet.ipv4.src;
      const q = { ...out.packet, ipv4: { ...out.packet.ipv4, ttl: QUOTE_TTL, checksum: undefined }, notes: undefined };
      const err = (quote: Packet): Packet => ({ ipv4: { src: R4, dst: T4, ttl: 64 }, icmpv4: { type: 11, code: 0, quote } });
      for (const n of [22, 24]) {
        const ex = await t.send(4, err(cut(q, n)));
        expectNothing(t, '6146-3.4-icmperr-short-3tuple', `quote of ${n} octets (type, code${n > 22 ? ', checksum' : ''}; no Identifier): nothing on either side`, ex);
      }
      const ex = await t.send(4, err(cut(q, 28)));
      t.expectPacket('6146-3.4-icmperr-short-3tuple', 'control: a quote with the whole echo header is translated to ICMPv6 3/0 with the client\'s identifier', only(ex.out6), {
        ipv6: { dst: sent.ipv6!.src },
        icmpv6: { type: 3, code: 0, quote: { ipv6: { src: sent.ipv6!.src, dst: sent.ipv6!.dst }, icmpv6: { type: 128, id: 0x4242 } } },
      });
    },
  },
  {
    id: 'tuple-swap',
    suite: SUITE,
    title: "Inbound S4b:y -> T:t reaches the client; its ICMPv6 1/4 about it reaches S4b as ICMPv4 3/3 from T quoting S4b:y -> T:t",
    requirements: ['6146-3.4-icmperr-tuple-swap'],
    needs: { filtering: 'endpoint-independent' },
    async run(t) {
      const { ex, flow: f } = await openUdp(t, { sport: 40100 });
      if (!f) return setupFailed(t, this.requirements, 'the outbound UDP datagram is translated', ex);
      // Endpoint-independent filtering lets another server in through the mapping (RFC 4787 REQ-8).
      const S4b = LAB.server4[1];
      const inb = await t.send(4, { ipv4: { src: S4b, dst: f.T, ttl: 64 }, udp: { sport: 5353, dport: f.t }, payload: Buffer.from('unsolicited') });
      const in6 = only(inb.out6);
      if (!in6) return setupFailed(t, this.requirements, `a datagram from ${S4b} reaches the client`, inb);
      const err = await t.send(6, { ipv6: { src: C6, dst: v6(t, S4b), hopLimit: 64 }, icmpv6: { type: 1, code: 4, quote: quote6(in6) } });
      t.expectPacket('6146-3.4-icmperr-tuple-swap', `the error is matched by (C6,x) -> ([P::${S4b}],5353), swapped from the quote: ICMPv4 3/3 from ${f.T} to ${S4b}`, only(err.out4), {
        ipv4: { src: f.T, dst: S4b },
        icmpv4: { type: 3, code: 3, quote: { ipv4: { src: S4b, dst: f.T }, udp: { sport: 5353, dport: f.t } } },
      });
    },
  },
  {
    id: 'inner-ipv4-options',
    suite: SUITE,
    title: 'ICMPv4 3/3 quoting a datagram whose IPv4 header carries options (IHL 7): the ports behind the options are found, the quote translated',
    requirements: ['5508-4.1-req3b-inner-options'],
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      // Record Route with one slot (7 octets, padded to 8): RFC 791.
      const quoted = quote4(f, { ihl: undefined, totalLength: undefined, options: [{ type: 7, data: Buffer.from([4, 0, 0, 0, 0]) }] });
      const ex = await t.send(4, err4(f, { type: 3, code: 3 }, quoted, S4));
      t.expectPacket('5508-4.1-req3b-inner-options', 'ICMPv6 1/4 to the client; the quote has the right ports and no options (Payload Length excludes them)', only(ex.out6), {
        ipv6: { dst: f.client },
        icmpv6: { type: 1, code: 4, quote: { ipv6: { src: f.client, dst: f.server6, payloadLength: 8 + f.payload.length }, udp: { sport: f.sport, dport: f.dport }, payload: f.payload } },
      });
    },
  },
];

/** Inner header translation for quotes that are not UDP: an echo request's identifier goes back to the client's. */
const innerCases: CaseDef[] = [
  {
    id: 'inner-echo-both-ways',
    suite: SUITE,
    title: "Errors about echo messages: the quoted echo's type and identifier are translated back (i2 -> i1 and i1 -> i2), TTL copied",
    requirements: ['7915-4.3-inner', '7915-5.3-inner', '6146-3.7-icmperr-inner-rewrite'],
    async run(t) {
      const sent = echo6(t, { id: 0x5151, seq: 3 });
      const ex0 = await t.send(6, sent);
      const out = only(ex0.out4);
      if (!out?.packet.ipv4 || !out.packet.icmpv4) return setupFailed(t, this.requirements, 'the echo request is translated', ex0);
      const T4 = out.packet.ipv4.src;
      const i2 = out.packet.icmpv4.id!;
      const q4 = { ...out.packet, ipv4: { ...out.packet.ipv4, ttl: QUOTE_TTL, checksum: undefined }, notes: undefined };
      const e6 = only((await t.send(4, { ipv4: { src: R4, dst: T4, ttl: 64 }, icmpv4: { type: 11, code: 0, quote: q4 } })).out6);
      t.expectPacket('7915-4.3-inner', 'ICMPv4 11/0 about the echo request: quote is ICMPv6 128, Hop Limit 37, checksum valid', e6, {
        icmpv6: { type: 3, code: 0, quote: { ipv6: { hopLimit: QUOTE_TTL, nextHeader: 58 }, icmpv6: { type: 128, code: 0, seq: 3, checksum: T.validChecksum() }, payload: sent.payload } },
      });
      t.expectPacket('6146-3.7-icmperr-inner-rewrite', `quote reverted to ${sent.ipv6!.src} -> ${sent.ipv6!.dst} with identifier 0x5151`, e6, {
        icmpv6: { quote: { ipv6: { src: sent.ipv6!.src, dst: sent.ipv6!.dst }, icmpv6: { id: 0x5151 } } },
      });
      // The reply comes in; the client side reports it unreachable (1/4): the quote goes back to i2.
      const rep = await t.send(4, { ipv4: { src: out.packet.ipv4.dst, dst: T4, ttl: 64 }, icmpv4: { type: 0, code: 0, id: i2, seq: 3 }, payload: sent.payload });
      const in6 = only(rep.out6);
      if (!in6) return setupFailed(t, ['7915-5.3-inner'], 'the echo reply reaches the client', rep);
      const q6 = { ...in6.packet, ipv6: { ...in6.packet.ipv6!, hopLimit: QUOTE_TTL }, notes: undefined };
      const e4 = only((await t.send(6, { ipv6: { src: R6, dst: in6.packet.ipv6!.src, hopLimit: 64 }, icmpv6: { type: 1, code: 0, quote: q6 } })).out4);
      t.expectPacket('7915-5.3-inner', 'ICMPv6 1/0 about the echo reply: quote is ICMPv4 0 with TTL 37, checksums valid', e4, {
        icmpv4: { type: 3, code: 1, quote: { ipv4: { ttl: QUOTE_TTL, protocol: 1, checksum: T.validChecksum() }, icmpv4: { type: 0, code: 0, seq: 3, checksum: T.validChecksum() }, payload: sent.payload } },
      });
      t.expectPacket('6146-3.7-icmperr-inner-rewrite', `quote reverted to ${out.packet.ipv4.dst} -> ${T4} with identifier ${i2}`, e4, {
        icmpv4: { quote: { ipv4: { src: out.packet.ipv4.dst, dst: T4 }, icmpv4: { id: i2 } } },
      });
    },
  },
];

/** RFC 5508 REQ-3: the ICMP checksum and the quoted IPv4 header checksum are checked; the quoted transport checksum is not. */
const checksumCases: CaseDef[] = [
  {
    id: 'bad-icmp-checksum',
    suite: SUITE,
    title: 'An ICMP error with a wrong ICMP checksum is dropped silently, in both directions (the same error with a good one passes)',
    requirements: ['5508-4.1-req3-bad-icmp-cksum'],
    async run(t) {
      const both = await openBoth(t, this.requirements);
      if (!both) return;
      const { f, in6 } = both;
      const e4 = err4(f, { type: 3, code: 3 }, quote4(f), S4);
      expectNothing(t, this.requirements, 'ICMPv4 3/3 with a wrong checksum: nothing on either side', await t.send(4, badChecksum(e4)));
      const e6 = err6(f, { type: 1, code: 4 }, quote6(in6), C6);
      expectNothing(t, this.requirements, 'ICMPv6 1/4 with a wrong checksum: nothing on either side', await t.send(6, badChecksum(e6)));
      const ok4 = await t.send(4, e4);
      t.expectPacket(this.requirements, 'control: the ICMPv4 3/3 with its right checksum is translated', only(ok4.out6), { icmpv6: { type: 1, code: 4 } });
      const ok6 = await t.send(6, e6);
      t.expectPacket(this.requirements, 'control: the ICMPv6 1/4 with its right checksum is translated', only(ok6.out4), { icmpv4: { type: 3, code: 3 } });
    },
  },
  {
    id: 'bad-inner-ip-checksum',
    suite: SUITE,
    title: 'An ICMPv4 error whose quoted IPv4 header checksum is wrong (ICMP checksum right) is dropped silently',
    requirements: ['5508-4.1-req3a-bad-inner-ipcksum'],
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      const good = decode(encode(quote4(f))).ipv4!.checksum!;
      const ex = await t.send(4, err4(f, { type: 3, code: 3 }, quote4(f, { checksum: (good ^ 0x00ff) & 0xffff }), S4));
      expectNothing(t, this.requirements, 'quoted IPv4 header checksum wrong: nothing on either side', ex);
    },
  },
  {
    id: 'inner-l4-checksum-ignored',
    suite: SUITE,
    title: 'An ICMP error quoting a whole UDP datagram with a wrong UDP checksum is still translated, in both directions',
    requirements: ['5508-4.1-req3c-no-inner-l4-validate'],
    async run(t) {
      const both = await openBoth(t, this.requirements);
      if (!both) return;
      const { f, in6 } = both;
      const q4 = quote4(f);
      const ex4 = await t.send(4, err4(f, { type: 3, code: 3 }, { ...q4, udp: { ...q4.udp!, checksum: (q4.udp!.checksum! ^ 0x0f0f) & 0xffff } }, S4));
      t.expectPacket(this.requirements, 'ICMPv4 3/3 with a corrupt quoted UDP checksum: ICMPv6 1/4 reaches the client', only(ex4.out6), {
        ipv6: { dst: f.client },
        icmpv6: { type: 1, code: 4, quote: { udp: { sport: f.sport, dport: f.dport } } },
      });
      const q6 = quote6(in6);
      const ex6 = await t.send(6, err6(f, { type: 1, code: 4 }, { ...q6, udp: { ...q6.udp!, checksum: (q6.udp!.checksum! ^ 0x0f0f) & 0xffff } }, C6));
      t.expectPacket(this.requirements, 'ICMPv6 1/4 with a corrupt quoted UDP checksum: ICMPv4 3/3 reaches the server', only(ex6.out4), {
        ipv4: { dst: f.server },
        icmpv4: { type: 3, code: 3, quote: { udp: { sport: f.dport, dport: f.t } } },
      });
    },
  },
  {
    id: 'extension-outside-l4-checksum',
    suite: SUITE,
    title: 'An ICMPv4 error quoting a whole UDP datagram, zero padding and an RFC 4884 extension: translated, the quoted checksum valid over the datagram alone',
    requirements: ['5508-4.1-req3d-ext-exclude'],
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      const ex = await t.send(4, { ipv4: { src: R4, dst: f.T, ttl: 64 }, icmpv4: { type: 3, code: 1, quote: quote4(f), extensions: extension() } });
      t.expectPacket(this.requirements, 'ICMPv6 1/0 reaches the client; quoted UDP checksum valid, extension after the padding', only(ex.out6), {
        ipv6: { dst: f.client },
        icmpv6: { type: 1, code: 0, quote: { udp: { sport: f.sport, dport: f.dport, checksum: T.validChecksum() } }, extensions: { objects: [{ classNum: 1, cType: 1 }] } },
      });
    },
  },
];

export const quoteCases: CaseDef[] = [...sizeCases, ...extensionCases, ...levelCases, ...tupleCases, ...innerCases, ...checksumCases];

/** For other files: whether a seen packet is a translated error of this type/code. */
export function isError(s: Seen | undefined, family: 4 | 6, type: number, code: number): boolean {
  const i = family === 6 ? s?.packet.icmpv6 : s?.packet.icmpv4;
  return !!i && i.type === type && i.code === code;
}

