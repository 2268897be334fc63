/**
 * RFC 6052 §2.2/§2.3 embedding at every prefix length, both directions: the
 * IPv6 client reaches S4 through [Pref64::S4] (extraction), and S4's reply
 * comes back from [Pref64::S4] (composition). Shorter prefixes also check the
 * u octet, the zero suffix on output, and that a non-zero suffix on input is
 * ignored.
 */
import type { CaseDef } from '../../harness/runner/case';
import { udpReply4 } from '../lib/flows';
import { CLIENT, S4, VECTORS, single, suffixZero, uOctetZero, udpTo } from './lib';
import type { Pref64Vector } from './lib';

function embedCase(v: Pref64Vector): CaseDef {
  const embedId = `6052-2.2-embed-${v.length}`;
  const short = v.length < 96;
  const requirements = [embedId, '6146-3.5.4-rfc6052-support', '6052-3.3-format'];
  if (short) requirements.push('6052-2.2-u-zero', '6052-2.2-suffix-zero', '6052-2.2-suffix-ignore');
  return {
    id: `embed-${v.length}`,
    suite: 'addressing',
    title: `RFC 6052 embedding with a /${v.length} Pref64 (${v.prefix}), both directions`,
    requirements,
    needs: { pool6: v.prefix },
    async run(t) {
      // Extraction (RFC 6052 §2.3, second algorithm): [Pref64::S4] must reach S4.
      const out = await t.send(6, udpTo(v.embedded));
      const o4 = single(out.out4);
      t.expectPacket([embedId, '6146-3.5.4-rfc6052-support'], `IPv6 destination ${v.embedded} is translated to IPv4 destination ${S4}`, o4, {
        ipv4: { dst: S4 },
        udp: { dport: 7 },
      });

      // Composition (first algorithm): S4's reply must come from exactly the §2.2 layout.
      const back = o4 ? single((await t.send(4, udpReply4(o4))).out6) : undefined;
      if (!o4) t.note('no translated packet to answer, so the composition checks have nothing to look at');
      t.expectPacket(
        [embedId, '6146-3.5.4-rfc6052-support', '6052-3.3-format'],
        `reply from ${S4} arrives from ${v.embedded}`,
        back,
        { ipv6: { src: v.embedded, dst: CLIENT }, udp: { sport: 7, dport: 40000 } },
      );
      if (!short) return;
      t.expectPacket('6052-2.2-u-zero', 'the composed source has the u octet zero', back, { ipv6: { src: uOctetZero() } });
      t.expectPacket('6052-2.2-suffix-zero', 'the composed source has a zero suffix', back, { ipv6: { src: suffixZero(v.length) } });

      // §2.2: "SHOULD ignore the bits' value and proceed as if the bits' value were zero".
      const sfx = await t.send(6, udpTo(v.withSuffix!, { sport: 40001 }));
      t.expectPacket('6052-2.2-suffix-ignore', `${v.withSuffix} (non-zero suffix) is still translated to ${S4}`, single(sfx.out4), {
        ipv4: { dst: S4 },
        udp: { dport: 7 },
      });
    },
  };
}

export const embeddingCases: CaseDef[] = VECTORS.map(embedCase);
