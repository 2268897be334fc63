/**
 * Fragment Header rules that do not need a long train: RFC 7915 §5.1.1 with
 * extension headers around the Fragment Header and with an atomic fragment,
 * and RFC 7915 §4's "no atomic fragments" for DF=0 IPv4 packets that fit.
 */
import { T } from '../../harness/packet/compare';
import type { ExtensionHeader } from '../../harness/packet/types';
import type { CaseDef } from '../../harness/runner/case';
import { only, pool4Addresses } from '../lib/flows';
import { S4, SUITE, collected, fragment6, openUdp, pattern, reassemble4, sendAll, setupFailed, udp4, udp6, whatCameOut, byOffset } from './lib';

const HBH: ExtensionHeader = { kind: 'hop-by-hop', options: [{ type: 1, data: Buffer.alloc(4) }] };

/** Extension headers after the Fragment Header (RFC 7915 §5.1.1: "except ESP, but including AH" -> drop). */
const AFTER: { name: string; ext: ExtensionHeader }[] = [
  { name: 'destination-options', ext: { kind: 'destination', options: [{ type: 1, data: Buffer.alloc(4) }] } },
  { name: 'routing-sl0', ext: { kind: 'routing', routingType: 0, segmentsLeft: 0, data: Buffer.alloc(4) } },
];

const fhExtDrop: CaseDef[] = AFTER.map(({ name, ext }, i) => ({
  id: `6to4-fh-followed-by-${name}`,
  suite: SUITE,
  title: `IPv6 -> IPv4: fragments whose Fragment Header is followed by a ${ext.kind} header are dropped`,
  requirements: ['7915-5.1.1-fh-ext-drop'],
  async run(t) {
    const payload = pattern(300, i);
    // The header after the FH sits in the fragmentable part: 8 octets of it, then UDP.
    const frags = fragment6(udp6(t, 43000 + i, payload), [256, 8 + 8 + 300 - 256], 0x7915_5110 + i, [ext]);
    const out = collected(await sendAll(t, 6, frags));
    // §5.1.1: SHOULD be dropped and logged; an ICMPv6 error back is acceptable, a translation is not.
    t.expect('7915-5.1.1-fh-ext-drop', `fragments with a ${ext.kind} header after the Fragment Header: nothing translated to IPv4`, out.out4.length === 0, whatCameOut(out), [...out.out4, ...out.out6]);
  },
}));

export const headerCases: CaseDef[] = [
  {
    id: '6to4-hop-by-hop-before-fh',
    suite: SUITE,
    title: 'IPv6 -> IPv4: fragments with a Hop-by-Hop header before the Fragment Header: Total Length and Protocol skip both',
    requirements: ['7915-5.1.1-total-length', '7915-5.1.1-protocol', '6146-3.4-frag-support'],
    async run(t) {
      const payload = pattern(600, 5);
      const p = udp6(t, 43010, payload);
      p.ipv6!.extensions = [HBH];
      const frags = fragment6(p, [256, 608 - 256], 0x0bad_cafe);
      const out = collected(await sendAll(t, 6, frags));
      const far = byOffset(out.out4);
      const w = reassemble4(far);
      if (w.seen) {
        t.expectPacket('6146-3.4-frag-support', 'the datagram arrives whole', w.seen, { ipv4: { src: T.oneOf(pool4Addresses(t)), dst: S4 }, udp: { dport: 7, checksum: T.validChecksum() }, payload });
      } else t.expect('6146-3.4-frag-support', 'the datagram arrives whole', false, `${w.problem}; ${whatCameOut(out)}`, far);
      if (far.length !== frags.length) {
        t.expect(['7915-5.1.1-total-length', '7915-5.1.1-protocol'], 'one IPv4 fragment per IPv6 fragment', false, whatCameOut(out), far);
        return;
      }
      frags.forEach((f, i) => {
        // Payload Length = HBH (8) + FH (8) + data; Total Length = Payload Length - 8 (HBH) - 8 (FH) + 20.
        const pl = 8 + 8 + f.payload!.length;
        t.expectPacket('7915-5.1.1-total-length', `fragment ${i + 1}: Total Length ${pl} - 8 - 8 + 20`, far[i], { ipv4: { totalLength: pl - 16 + 20 } });
        t.expectPacket('7915-5.1.1-protocol', `fragment ${i + 1}: Protocol 17, the Hop-by-Hop and Fragment headers skipped`, far[i], { ipv4: { protocol: 17 } });
      });
    },
  },
  ...fhExtDrop,
  {
    id: '6to4-atomic-fragment',
    suite: SUITE,
    title: 'IPv6 -> IPv4: an atomic fragment (offset 0, M 0) of 1300 octets: Identification from the FH, DF 0, MF 0, offset 0',
    requirements: ['7915-5.1.1-id', '7915-5.1.1-mf-df', '7915-5.1.1-offset', '7915-5.1.1-protocol'],
    async run(t) {
      // 40 + 8 + 8 + 1244 = 1300 octets; as IPv4 1272 octets, above 1260, where §5.1 alone would set DF.
      const p = udp6(t, 43020, pattern(1244, 9));
      const frag = fragment6(p, [1252], 0x1234abcd)[0];
      const ex = await t.send(6, frag);
      const o = only(ex.out4);
      t.expectPacket('7915-5.1.1-id', 'Identification 0xABCD, the low half of FH Identification 0x1234ABCD', o, { ipv4: { id: 0xabcd } });
      t.expectPacket('7915-5.1.1-mf-df', 'MF 0 (M 0) and DF 0 although the packet is 1272 octets (§5.1.1 clears DF)', o, { ipv4: { mf: false, df: false, totalLength: 1272 } });
      t.expectPacket('7915-5.1.1-offset', 'Fragment Offset 0 copied', o, { ipv4: { fragOffset: 0 } });
      t.expectPacket('7915-5.1.1-protocol', 'Protocol 17 (the Fragment Header skipped)', o, { ipv4: { protocol: 17 }, udp: { checksum: T.validChecksum() } });
    },
  },
  ...[200, 1260].map(
    (size): CaseDef => ({
      id: `4to6-df0-${size}-no-fragment-header`,
      suite: SUITE,
      title: `IPv4 -> IPv6: a ${size}-octet DF=0 packet that fits (${size + 20} octets as IPv6) gets no Fragment Header`,
      requirements: ['7915-4-df0-no-atomic'],
      async run(t) {
        const { ex, m } = await openUdp(t, 43030 + size);
        if (!m) return setupFailed(t, this.requirements, 'an outbound UDP datagram opens a mapping', ex);
        const r = await t.send(4, udp4(m, pattern(size - 28, 3), { df: false, id: 0x4444 }));
        // RFC 7915 §4: "MUST NOT include the Fragment Header for the non-fragmented IPv6 packets" (1280 = lowest-ipv6-mtu fits).
        t.expectPacket('7915-4-df0-no-atomic', `${size + 20}-octet IPv6 packet without a Fragment Header`, only(r.out6), {
          ipv6: { nextHeader: 17, payloadLength: size - 20, extensions: [] },
          udp: { checksum: T.validChecksum() },
        });
      },
    }),
  ),
];
