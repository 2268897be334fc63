/**
 * Property tests of the codec (harness/packet/codec.ts) over seeded random
 * packets from ./generate. The seed (a fixed default unless PACKET_SEED is set;
 * PACKET_SEED=random explores) is printed on failure; replay a run with
 * `PACKET_SEED=<seed> npx mocha dist/test/packet/roundtrip.test.js`.
 *
 * Contracts checked:
 *  - encode(decode(encode(p))) is encode(p), byte for byte;
 *  - every field p sets comes back from decode (option lists may gain padding);
 *  - decode never throws, and encode(decode(b)) is b for any bytes b — random,
 *    mutated or truncated, including headers cut short inside their options
 *    (the shapes under "codec corner cases", which the model once could not
 *    express);
 *  - generated valid packets have valid checksums, and corrupting one byte
 *    invalidates exactly the layer whose checksum covers it.
 */
import { expect } from 'chai';
import { parseIPv6 } from '../../harness/packet/address';
import { onesSum, pseudoHeaderSum4, pseudoHeaderSum6 } from '../../harness/packet/checksum';
import { checksumsValid, decode, encode } from '../../harness/packet/codec';
import { finalDestination } from '../../harness/packet/ipv6';
import { Packet, PROTO } from '../../harness/packet/types';
import { GenMode, Rng, allNotes, generatePacket, generateValidPacket, ipHeaderLength, makeRng, seedFromEnv, show } from './generate';

const SEED = seedFromEnv();

// ---------------------------------------------------------------------------
// Helpers

function hex(b: Buffer): string {
  return b.toString('hex');
}

/** Index of the first differing byte, or -1. */
function firstDiff(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function bytesMismatch(what: string, want: Buffer, got: Buffer): string {
  const at = firstDiff(want, got);
  return `${what}: ${got.length} bytes vs ${want.length}, first difference at ${at}\n  want ${hex(want)}\n  got  ${hex(got)}`;
}

/**
 * Fields of `exp` (only the keys it sets, recursively) that differ in `act`.
 * Buffers compare by bytes. Option lists may end in padding that the encoder
 * added (EOL for IPv4 and TCP, Pad1/PadN for IPv6). Decode notes are ignored.
 */
export function fieldDiffs(exp: unknown, act: unknown, path = 'packet', out: string[] = []): string[] {
  if (exp === undefined) return out;
  if (Buffer.isBuffer(exp)) {
    if (!Buffer.isBuffer(act) || !exp.equals(act)) out.push(`${path}: want <${hex(exp)}>, got ${show(act)}`);
    return out;
  }
  if (Array.isArray(exp)) {
    if (!Array.isArray(act)) {
      out.push(`${path}: want an array, got ${show(act)}`);
      return out;
    }
    const isOptions = /\.options$/.test(path);
    if (isOptions ? act.length < exp.length : act.length !== exp.length) {
      out.push(`${path}: want ${exp.length} entries, got ${act.length}: ${show(act)}`);
    }
    exp.forEach((e, i) => fieldDiffs(e, act[i], `${path}[${i}]`, out));
    if (isOptions) {
      const tlv = path.includes('.extensions[');
      for (let i = exp.length; i < act.length; i++) {
        const o = act[i] as { type?: number; kind?: number; data?: Buffer };
        const pad = tlv ? o.type === 0 || (o.type === 1 && (o.data ?? Buffer.alloc(0)).every((b) => b === 0)) : (o.type ?? o.kind) === 0;
        if (!pad) out.push(`${path}[${i}]: extra option that is not padding: ${show(o)}`);
      }
    }
    return out;
  }
  if (exp !== null && typeof exp === 'object') {
    if (act === null || typeof act !== 'object') {
      out.push(`${path}: want an object, got ${show(act)}`);
      return out;
    }
    for (const [k, v] of Object.entries(exp)) {
      if (k === 'notes') continue;
      fieldDiffs(v, (act as Record<string, unknown>)[k], `${path}.${k}`, out);
    }
    return out;
  }
  if (exp !== act) out.push(`${path}: want ${show(exp)}, got ${show(act)}`);
  return out;
}

/** Runs `body` for `n` cases, each with its own forked generator; collects failures with the seeds to replay. */
function forCases(n: number, master: Rng, body: (rng: Rng, i: number) => string | undefined): void {
  const failures: string[] = [];
  for (let i = 0; i < n; i++) {
    const caseSeed = master.u32();
    let msg: string | undefined;
    try {
      msg = body(makeRng(caseSeed), i);
    } catch (e) {
      msg = `threw ${(e as Error).stack ?? String(e)}`;
    }
    if (msg !== undefined) failures.push(`case ${i} (case seed ${caseSeed}): ${msg}`);
    if (failures.length >= 5) break;
  }
  if (failures.length) {
    expect.fail(`${failures.length}+ failing case(s); replay with PACKET_SEED=${SEED}\n${failures.join('\n\n')}`);
  }
}

/** Checks the decode contract on arbitrary bytes; returns a failure message, or undefined. */
function checkDecodeContract(b: Buffer): string | undefined {
  let d: Packet;
  try {
    d = decode(b);
  } catch (e) {
    return `decode threw on ${hex(b)}: ${(e as Error).message}`;
  }
  let e1: Buffer;
  try {
    e1 = encode(d);
  } catch (e) {
    return `encode(decode(b)) threw on ${hex(b)}: ${(e as Error).message}\n  decoded ${show(d)}`;
  }
  if (e1.equals(b)) return undefined;
  return `${bytesMismatch('encode(decode(b)) is not b', b, e1)}\n  notes ${show(allNotes(d))}\n  decoded ${show(d)}`;
}

// ---------------------------------------------------------------------------

describe('packet codec round trip (seed ' + SEED + ')', () => {
  const modes: GenMode[] = ['valid', 'consistent', 'wild'];

  describe('encode(decode(encode(p))) === encode(p)', () => {
    for (const mode of modes) {
      it(`holds for 1000 random '${mode}' packets`, () => {
        const master = makeRng(SEED ^ 0x1000 ^ modes.indexOf(mode));
        forCases(1000, master, (rng) => {
          const p = generatePacket(rng, { mode });
          const b = encode(p);
          const d = decode(b);
          const again = encode(d);
          if (again.equals(b)) return undefined;
          return `${bytesMismatch('re-encoded bytes differ', b, again)}\n  packet ${show(p)}\n  notes ${show(allNotes(d))}`;
        });
      });
    }
  });

  describe('decode gives back every field that was set', () => {
    for (const mode of ['valid', 'consistent'] as const) {
      it(`for 1000 random '${mode}' packets`, () => {
        const master = makeRng(SEED ^ 0x2000 ^ modes.indexOf(mode));
        forCases(1000, master, (rng) => {
          const p = generatePacket(rng, { mode });
          const d = decode(encode(p));
          const diffs = fieldDiffs(p, d);
          if (diffs.length === 0) return undefined;
          return `${diffs.slice(0, 6).join('\n  ')}\n  packet ${show(p)}\n  decoded ${show(d)}`;
        });
      });
    }

    it('decodes nothing the packet did not have: no notes for valid packets', () => {
      forCases(1000, makeRng(SEED ^ 0x2100), (rng) => {
        const p = generateValidPacket(rng);
        const d = decode(encode(p));
        // Quotes may be truncated on purpose (their notes say so); the outer packet is whole.
        return d.notes ? `notes ${show(d.notes)} for ${show(p)}` : undefined;
      });
    });
  });

  describe('decode never throws and encode(decode(b)) === b', () => {
    it('for 2000 random byte strings (any version nibble, IPv4/IPv6-looking heads)', () => {
      forCases(2000, makeRng(SEED ^ 0x3000), (rng) => {
        const b = rng.bytes(rng.int(0, rng.bool(0.8) ? 80 : 300));
        if (b.length && rng.bool(0.7)) {
          // Make it look like an IP header often enough to get past the first checks.
          b[0] = rng.pick([0x45, 0x46, 0x4f, 0x40 | rng.int(0, 15), 0x60, 0x60 | rng.int(0, 15)]);
          if (b.length >= 4 && b[0] >> 4 === 4 && rng.bool(0.7)) b.writeUInt16BE(rng.int(0, b.length + 8), 2);
          if (b.length >= 6 && b[0] >> 4 === 6 && rng.bool(0.7)) b.writeUInt16BE(Math.max(0, b.length - 40 + rng.int(-8, 8)), 4);
          if (b.length >= 10 && b[0] >> 4 === 4) b[9] = rng.pick([1, 6, 17, 58, rng.int(0, 255)]);
          if (b.length >= 7 && b[0] >> 4 === 6) b[6] = rng.pick([0, 6, 17, 43, 44, 58, 60, 1, rng.int(0, 255)]);
        }
        return checkDecodeContract(b);
      });
    });

    it('for 2000 randomly mutated valid and consistent packets (byte/bit flips, insertions, deletions)', () => {
      forCases(2000, makeRng(SEED ^ 0x4000), (rng) => {
        const b = Buffer.from(encode(generatePacket(rng, { mode: rng.bool() ? 'valid' : 'consistent' })));
        let m = b;
        for (let k = rng.int(1, 4); k > 0; k--) {
          const at = rng.int(0, Math.max(0, m.length - 1));
          switch (rng.int(0, 3)) {
            case 0:
              if (m.length) m[at] = rng.u32() & 0xff;
              break;
            case 1:
              if (m.length) m[at] ^= 1 << rng.int(0, 7);
              break;
            case 2:
              m = Buffer.concat([m.subarray(0, at), rng.bytes(rng.int(1, 4)), m.subarray(at)]);
              break;
            default:
              m = Buffer.concat([m.subarray(0, at), m.subarray(at + rng.int(1, 4))]);
              break;
          }
        }
        return checkDecodeContract(m);
      });
    });

    it('for every prefix of 150 random packets (truncation at each length)', () => {
      let total = 0;
      forCases(150, makeRng(SEED ^ 0x5000), (rng) => {
        const b = encode(generatePacket(rng, { mode: rng.pick(['valid', 'consistent'] as const) }));
        for (let len = 0; len <= b.length; len++) {
          total++;
          const msg = checkDecodeContract(Buffer.from(b.subarray(0, len)));
          if (msg) return `prefix of ${len}/${b.length} bytes: ${msg}`;
        }
        return undefined;
      });
    });

    it('for packets with a trailer and with lying length fields', () => {
      forCases(1000, makeRng(SEED ^ 0x5100), (rng) => {
        const b = encode(generatePacket(rng, { mode: 'wild' }));
        return checkDecodeContract(Buffer.concat([b, rng.bytes(rng.int(0, 8))]));
      });
    });

    it('keeps 1-3 stray bytes after the last RFC 4884 extension object (regression)', () => {
      // ICMPv4 Time Exceeded, length 32 words (128-octet quote), one MPLS object, then 2 stray bytes.
      const p: Packet = {
        ipv4: { src: '192.0.2.1', dst: '198.51.100.2' },
        icmpv4: {
          type: 11,
          code: 0,
          quote: { ipv4: { src: '198.51.100.2', dst: '203.0.113.9', ttl: 1 }, udp: { sport: 47001, dport: 33434 }, payload: Buffer.alloc(12) },
          extensions: { objects: [{ classNum: 1, cType: 1, data: Buffer.from([0x00, 0x01, 0x01, 0x01]) }] },
        },
        payload: Buffer.from([0xab, 0xcd]),
      };
      const b = encode(p);
      const d = decode(b);
      expect(hex(encode(d))).to.equal(hex(b));
      expect(d.icmpv4?.extensions?.objects).to.have.length(1);
      expect(d.payload && hex(d.payload)).to.equal('abcd');
      expect(allNotes(d).join('\n')).to.match(/2 stray bytes after the last extension object/);
    });
  });

  describe('checksums', () => {
    it('are all valid in 2000 generated valid packets (and in their whole quotes)', () => {
      forCases(2000, makeRng(SEED ^ 0x6000), (rng) => {
        const p = generateValidPacket(rng);
        const d = decode(encode(p));
        const problems: string[] = [];
        const check = (q: Packet, where: string, whole: boolean) => {
          const v = checksumsValid(q);
          const want: string[] = [];
          if (q.ipv4) want.push('ipv4');
          if (whole) {
            if (q.udp) want.push('udp');
            if (q.tcp) want.push('tcp');
            if (q.icmpv4) want.push('icmpv4');
            if (q.icmpv6 && q.ipv6) want.push('icmpv6');
          }
          for (const layer of want) if ((v as Record<string, boolean | undefined>)[layer] !== true) problems.push(`${where}${layer}: ${String((v as Record<string, boolean | undefined>)[layer])}`);
          for (const [layer, ok] of Object.entries(v)) if (!ok) problems.push(`${where}${layer} invalid`);
          const icmp = q.icmpv4 ?? q.icmpv6;
          if (icmp?.quote) check(icmp.quote, `${where}quote.`, !allNotes(icmp.quote).some((n) => /truncated|cut short/.test(n)));
        };
        check(d, '', true);
        return problems.length ? `${problems.join(', ')}\n  packet ${show(p)}` : undefined;
      });
    });

    /** The transport layer name of a decoded packet, if any. */
    const transportOf = (d: Packet) => (d.udp ? 'udp' : d.tcp ? 'tcp' : d.icmpv4 ? 'icmpv4' : d.icmpv6 ? 'icmpv6' : undefined);

    it('flipping one byte of the transport payload invalidates exactly that layer', () => {
      let flipped = 0;
      forCases(2000, makeRng(SEED ^ 0x7000), (rng) => {
        const p = generateValidPacket(rng, { upper: rng.pick(['udp', 'tcp', 'icmp-echo', 'icmp-error', 'icmp-other'] as const) });
        const b = encode(p);
        const d0 = decode(b);
        const layer = transportOf(d0);
        if (!layer) return 'no transport layer';
        const start = ipHeaderLength(b);
        const hdr = layer === 'tcp' ? (d0.tcp!.dataOffset ?? 5) * 4 : 8;
        if (b.length <= start + hdr) return undefined; // no payload to corrupt
        const m = Buffer.from(b);
        const at = rng.int(start + hdr, b.length - 1);
        m[at] ^= rng.int(1, 255);
        const d = decode(m);
        // A flip inside an ICMP quote can make the quote one of the shapes the model cannot express;
        // the recomputed checksum would then be over other bytes. Such cases prove nothing.
        if (!encode(d).equals(m)) return undefined;
        flipped++;
        const v = checksumsValid(d) as Record<string, boolean>;
        const bad = Object.keys(v).filter((k) => !v[k]);
        const problems: string[] = [];
        if (bad.join() !== layer) problems.push(`invalid layers [${bad}], want [${layer}]`);
        if (d.ipv4 && v.ipv4 !== true) problems.push(`ipv4 ${v.ipv4}`);
        return problems.length ? `flipped byte ${at} of ${b.length}: ${problems.join('; ')}\n  packet ${show(p)}` : undefined;
      });
      expect(flipped).to.be.greaterThan(1000);
    });

    it('flipping a byte of the IPv4 header (TOS, ID, TTL) invalidates only the IPv4 header checksum', () => {
      forCases(500, makeRng(SEED ^ 0x7100), (rng) => {
        const p = generateValidPacket(rng, { family: 4 });
        const m = Buffer.from(encode(p));
        const at = rng.pick([1, 4, 5, 8]);
        m[at] ^= rng.int(1, 255);
        const v = checksumsValid(decode(m));
        const bad = Object.entries(v).filter(([, ok]) => !ok).map(([k]) => k);
        return bad.join() === 'ipv4' ? undefined : `flipped byte ${at}: invalid layers [${bad}], want [ipv4]\n  packet ${show(p)}`;
      });
    });

    it('flipping a port invalidates only the transport checksum', () => {
      forCases(500, makeRng(SEED ^ 0x7200), (rng) => {
        const p = generateValidPacket(rng, { upper: rng.pick(['udp', 'tcp'] as const) });
        const b = encode(p);
        const m = Buffer.from(b);
        const at = ipHeaderLength(b) + rng.int(0, 3);
        m[at] ^= rng.int(1, 255);
        const v = checksumsValid(decode(m));
        const bad = Object.entries(v).filter(([, ok]) => !ok).map(([k]) => k);
        const layer = p.udp ? 'udp' : 'tcp';
        return bad.join() === layer ? undefined : `flipped byte ${at}: invalid layers [${bad}], want [${layer}]\n  packet ${show(p)}`;
      });
    });

    it('UDP over IPv4 with checksum 0 ("none", RFC 768) is not wrong; over IPv6 it is (RFC 8200 §8.1)', () => {
      const v4 = decode(encode({ ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, udp: { sport: 1, dport: 2, checksum: 0 }, payload: Buffer.from('x') }));
      expect(checksumsValid(v4).udp).to.equal(true);
      const v6 = decode(encode({ ipv6: { src: '2001:db8::1', dst: '2001:db8::2' }, udp: { sport: 1, dport: 2, checksum: 0 }, payload: Buffer.from('x') }));
      expect(checksumsValid(v6).udp).to.equal(false);
    });

    it('a UDP checksum that computes to 0 is sent as 0xFFFF (RFC 768)', () => {
      const base = { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, udp: { sport: 47001, dport: 47002 } };
      // With a zero 2-octet payload the checksum is ~S; a payload word of ~S makes the sum 0xFFFF, i.e. a computed 0.
      const s0 = decode(encode({ ...base, payload: Buffer.alloc(2) })).udp!.checksum!;
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(s0, 0);
      const d = decode(encode({ ...base, payload }));
      expect(d.udp!.checksum).to.equal(0xffff);
      expect(checksumsValid(d).udp).to.equal(true);
    });
  });

  describe('IPv6 routing header: the pseudo-header uses the final destination (RFC 8200 §8.1)', () => {
    const a = (n: number) => `2001:db8::${n.toString(16)}`;
    const addrs = (...xs: number[]) => Buffer.concat(xs.map((x) => parseIPv6(a(x))));
    const cases: { name: string; routingType: number; segmentsLeft: number; data: Buffer; final: string }[] = [
      { name: 'type 0, segments left 2', routingType: 0, segmentsLeft: 2, data: Buffer.concat([Buffer.alloc(4), addrs(0xa1, 0xa2)]), final: a(0xa2) },
      { name: 'type 0, segments left 1 (still the last address)', routingType: 0, segmentsLeft: 1, data: Buffer.concat([Buffer.alloc(4), addrs(0xa1, 0xa2, 0xa3)]), final: a(0xa3) },
      { name: 'type 2 (Mobile IPv6 home address)', routingType: 2, segmentsLeft: 1, data: Buffer.concat([Buffer.alloc(4), addrs(0xb1)]), final: a(0xb1) },
      { name: 'type 4 (SRH): Segment List[0]', routingType: 4, segmentsLeft: 1, data: Buffer.concat([Buffer.from([1, 0, 0, 0]), addrs(0xc1, 0xc2)]), final: a(0xc1) },
      { name: 'type 0, segments left 0: the IPv6 destination', routingType: 0, segmentsLeft: 0, data: Buffer.concat([Buffer.alloc(4), addrs(0xd1)]), final: a(0xbb) },
    ];
    for (const c of cases) {
      for (const upper of ['udp', 'tcp', 'icmpv6'] as const) {
        it(`${c.name}, ${upper}`, () => {
          const p: Packet = {
            ipv6: { src: a(0xaa), dst: a(0xbb), extensions: [{ kind: 'routing', routingType: c.routingType, segmentsLeft: c.segmentsLeft, data: c.data }] },
            payload: Buffer.from('final destination'),
          };
          if (upper === 'udp') p.udp = { sport: 47001, dport: 47002 };
          if (upper === 'tcp') p.tcp = { sport: 47001, dport: 47002, flags: { ack: true } };
          if (upper === 'icmpv6') p.icmpv6 = { type: 128, code: 0, id: 1, seq: 1 };
          expect(finalDestination(p.ipv6!)).to.equal(c.final);
          const b = encode(p);
          const upperStart = 40 + 4 + c.data.length + ((8 - ((c.data.length + 4) % 8)) % 8);
          const proto = upper === 'udp' ? PROTO.UDP : upper === 'tcp' ? PROTO.TCP : PROTO.ICMPV6;
          const len = b.length - upperStart;
          // Independent check: one's-complement sum over pseudo-header + segment (checksum included) is 0xFFFF.
          const sum = onesSum(b, pseudoHeaderSum6(parseIPv6(a(0xaa)), parseIPv6(c.final), proto, len), upperStart);
          expect(sum.toString(16)).to.equal('ffff');
          expect(checksumsValid(decode(b))[upper]).to.equal(true);
        });
      }
    }

    it('an IPv4 transport checksum verifies against a hand-built pseudo-header', () => {
      forCases(300, makeRng(SEED ^ 0x8000), (rng) => {
        const p = generateValidPacket(rng, { family: 4, upper: rng.pick(['udp', 'tcp'] as const) });
        const b = encode(p);
        const start = ipHeaderLength(b);
        const pseudo = Buffer.alloc(12);
        b.copy(pseudo, 0, 12, 20);
        pseudo[9] = p.udp ? 17 : 6;
        pseudo.writeUInt16BE(b.length - start, 10);
        const sum = onesSum(b, onesSum(pseudo), start);
        if (sum !== 0xffff) return `sum 0x${sum.toString(16)} over ${hex(b)}`;
        const lib = pseudoHeaderSum4(b.subarray(12, 16), b.subarray(16, 20), pseudo[9], b.length - start);
        return lib === onesSum(pseudo) ? undefined : `pseudoHeaderSum4 0x${lib.toString(16)}, by hand 0x${onesSum(pseudo).toString(16)}`;
      });
    });
  });

  describe('codec corner cases: shapes the model once could not express round-trip exactly', () => {
    /** encode(decode(b)) must be b, and decode must say what was malformed. */
    function contract(b: Buffer, note: RegExp): Packet {
      const d = decode(b);
      const e = encode(d);
      if (!e.equals(b)) expect.fail(`${bytesMismatch('encode(decode(b))', b, e)}\n  decoded ${show(d)}`);
      expect(allNotes(d).join('\n')).to.match(note);
      return d;
    }

    it('IPv4 header cut short inside its options', () => {
      // A 28-byte header (Record Route, 7 octets, + EOL) cut at 22 bytes: 2 option octets are there.
      const full = encode({ ipv4: { src: '192.0.2.1', dst: '192.0.2.2', options: [{ type: 7, data: Buffer.from([4, 0, 0, 0, 0]) }] }, udp: { sport: 1, dport: 2 } });
      const d = contract(full.subarray(0, 22), /ipv4: header length 28 bytes exceeds the 22 bytes present/);
      expect(show(d.ipv4!.options)).to.equal(show([{ type: 7, length: 7, data: Buffer.alloc(0) }]));
    });

    it('IPv4 option type in the last option octet (no length octet)', () => {
      // IHL 6: NOP, NOP, NOP, then type 0x44 (timestamp) with no room for its length octet.
      const b = encode({ ipv4: { src: '192.0.2.1', dst: '192.0.2.2', options: [{ type: 1 }, { type: 1 }, { type: 1 }] }, udp: { sport: 1, dport: 2 } });
      b[23] = 0x44;
      const d = contract(b, /ipv4: option 68 at offset 3 has no length octet/);
      expect(d.ipv4!.options![3]).to.deep.equal({ type: 0x44, bare: true });
    });

    it('TCP option kind in the last option octet (no length octet)', () => {
      const b = encode({ ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, tcp: { sport: 1, dport: 2, options: [{ kind: 1 }, { kind: 1 }, { kind: 1 }] } });
      b[20 + 23] = 2; // MSS kind where the EOL padding was
      const d = contract(b, /tcp: option 2 at offset \d+ has no length octet/);
      expect(d.tcp!.options![3]).to.deep.equal({ kind: 2, bare: true });
    });

    it('IPv6 TLV option type in the last octet of the header (no length octet)', () => {
      // Destination Options, 8 octets: next header, length 0, PadN(3) = 5 octets, then type 0x1e alone.
      const b = encode({ ipv6: { src: '2001:db8::1', dst: '2001:db8::2', extensions: [{ kind: 'destination', options: [{ type: 1, data: Buffer.alloc(3) }] }] }, udp: { sport: 1, dport: 2 } });
      b[40 + 7] = 0x1e;
      const d = contract(b, /destination: option 30 has no length octet/);
      const e = d.ipv6!.extensions![0];
      expect(e.kind === 'destination' && e.options![1]).to.deep.equal({ type: 0x1e, bare: true });
    });

    it('TCP header cut short inside its options (as ICMP quotes often are)', () => {
      const full = encode({ ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, tcp: { sport: 1, dport: 2, options: [{ kind: 2, data: Buffer.from([5, 0xb4]) }, { kind: 3, data: Buffer.from([7]) }] } });
      // Keep 20 + 26 octets: MSS whole, then Window Scale's kind and length only.
      const d = contract(full.subarray(0, 20 + 26), /tcp: data offset 28 bytes runs past the 26 bytes present/);
      expect(d.tcp!.sport).to.equal(1);
      expect(show(d.tcp!.options)).to.equal(show([{ kind: 2, length: 4, data: Buffer.from([5, 0xb4]) }, { kind: 3, length: 3, data: Buffer.alloc(0) }]));
    });

    it('IPv6 extension header running past the bytes present', () => {
      const full = encode({ ipv6: { src: '2001:db8::1', dst: '2001:db8::2', extensions: [{ kind: 'hop-by-hop', options: [{ type: 0x1e, data: Buffer.alloc(10) }] }] }, udp: { sport: 1, dport: 2 } });
      const d = contract(full.subarray(0, 40 + 13), /hop-by-hop header length 16 runs past the 13 bytes left/);
      expect(d.ipv6!.extensions).to.have.length(1);
    });

    it('a caller-made bare option is one octet on the wire', () => {
      const b = encode({ ipv4: { src: '192.0.2.1', dst: '192.0.2.2', ihl: 6, options: [{ type: 1 }, { type: 1 }, { type: 1 }, { type: 0x44, bare: true }] } });
      expect(b.subarray(20, 24).toString('hex')).to.equal('01010144');
    });
  });
});
