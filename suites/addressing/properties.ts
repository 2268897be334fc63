/**
 * Properties of the RFC 6146 §3.5.4 address algorithm seen from outside:
 * packets into Pref64 are translated toward the embedded address, replies
 * come back from exactly that address (reversible), the default algorithm is
 * RFC 6052 §2.3, and the result depends on nothing but the IPv4 address and
 * the prefix (not on the host, the flow or the suffix a host happened to use).
 */
import { embed } from '../../harness/packet/rfc6052';
import type { CaseDef } from '../../harness/runner/case';
import { LAB } from '../../harness/lab/addressing';
import { udpReply4, v6 } from '../lib/flows';
import { CLIENT, S4, VECTORS, outputs, single, udpTo } from './lib';

const V64 = VECTORS.find((v) => v.length === 64)!;

export const propertyCases: CaseDef[] = [
  {
    id: 'default-algorithm-round-trip',
    suite: 'addressing',
    title: 'Default configuration: [Pref64::S4] reaches S4 and S4 answers from the RFC 6052 composition of Pref64 and S4',
    requirements: [
      '6146-3-pref64',
      '7915-5.6-translate',
      '7915-4.6-translate',
      '6146-3.5.4-reversible',
      '6146-3.5.4-rfc6052-default',
      '7915-6-rfc6052',
    ],
    async run(t) {
      // Whatever Pref64 the target runs with; RFC 6052 §2.3 says where S4 goes in it.
      const dst = v6(t, S4);
      const out = await t.send(6, udpTo(dst));
      const o4 = single(out.out4);
      t.expectPacket('6146-3-pref64', `UDP to [${dst}]:7 arrives at ${S4}:7`, o4, { ipv4: { dst: S4 }, udp: { dport: 7 } });
      t.expectPacket('7915-5.6-translate', `the IPv6 packet to ${dst} (an IPv4 host) leaves as IPv4`, o4, {
        ipv4: { version: 4, dst: S4, protocol: 17 },
      });
      const ex = o4 ? await t.send(4, udpReply4(o4)) : undefined;
      const back = ex ? single(ex.out6) : undefined;
      if (!o4) t.note('nothing was translated outbound, so there is no mapping to answer through');
      const composed = embed(t.config.pool6, S4);
      // §4.6 "MUST be translated": into IPv6 addressed per §6, i.e. from S4's representation to the host.
      t.expectPacket('7915-4.6-translate', `${S4}'s reply to the pool address leaves as IPv6 from ${composed} to ${CLIENT}`, back, {
        ipv6: { version: 6, src: composed, dst: CLIENT },
        udp: { sport: 7, dport: 40000 },
      });
      t.expectPacket('6146-3.5.4-reversible', `the reply comes from ${dst}, the address the client sent to`, back, { ipv6: { src: dst } });
      t.expectPacket(['6146-3.5.4-rfc6052-default', '7915-6-rfc6052'], `the reply source is the RFC 6052 §2.3 composition ${composed}`, back, {
        ipv6: { src: composed },
      });
    },
  },
  {
    id: 'algorithm-inputs',
    suite: 'addressing',
    title: 'The IPv6 form of S4 depends only on S4 and Pref64: the same for every host, flow and suffix used',
    requirements: ['6146-3.5.4-inputs'],
    // A /64 prefix leaves a suffix a host may fill; the translator must not echo it back (RFC 6146 §3.5.4, RFC 6052 §2.2).
    needs: { pool6: V64.prefix },
    async run(t) {
      const flows = [
        { client: LAB.client6[1], dst: V64.withSuffix!, sport: 42001, why: 'sent to the suffixed form' },
        { client: LAB.client6[0], dst: V64.embedded, sport: 42002, why: 'sent to the canonical form' },
        { client: LAB.client6[2], dst: V64.embedded, sport: 42003, why: 'another host, later' },
        { client: LAB.client6[1], dst: V64.embedded, sport: 42004, why: 'the first host again, another flow' },
      ];
      for (const f of flows) {
        const out = await t.send(6, udpTo(f.dst, { src: f.client, sport: f.sport }));
        const o4 = single(out.out4);
        if (!o4) {
          t.expect('6146-3.5.4-inputs', `[${f.client}]:${f.sport} -> ${f.dst} (${f.why}) is translated`, false, outputs(out));
          continue;
        }
        const back = single((await t.send(4, udpReply4(o4))).out6);
        t.expectPacket('6146-3.5.4-inputs', `reply to [${f.client}]:${f.sport} (${f.why}) comes from ${V64.embedded}`, back, {
          ipv6: { src: V64.embedded, dst: f.client },
          udp: { dport: f.sport },
        });
      }
    },
  },
];
