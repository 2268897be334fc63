/**
 * What the NAT64 treats as its business (RFC 6146 §3.5): IPv6 packets only
 * to Pref64::/n, never from it, and IPv4 packets only to a pool address.
 * Each drop is paired with a control packet that is translated, so a target
 * that translates nothing cannot pass.
 */
import { LAB } from '../../harness/lab/addressing';
import type { Packet } from '../../harness/packet/types';
import type { CaseDef } from '../../harness/runner/case';
import { embed } from '../../harness/packet/rfc6052';
import { pool4Addresses, udpReply4, v6 } from '../lib/flows';
import { CLIENT, LAB_NSP, S4, S4_GLOBAL, S4_UNDER_LAB_NSP, outputs, single, udpFrom4, udpTo } from './lib';

export const scopeCases: CaseDef[] = [
  {
    id: 'source-inside-pref64',
    suite: 'addressing',
    title: 'IPv6 packets whose source lies inside Pref64::/n are dropped silently (RFC 6146 §3.5)',
    requirements: ['6146-3.5-drop-src-pref64'],
    needs: { pool6: LAB_NSP },
    async run(t) {
      const ctl = await t.send(6, udpTo(S4_UNDER_LAB_NSP));
      t.expect('6146-3.5-drop-src-pref64', `control: the same packet from ${CLIENT} is translated`, single(ctl.out4)?.packet.ipv4?.dst === S4, outputs(ctl), ctl.out4);
      // A pool address and an arbitrary IPv4 address, both in Pref64 form; UDP, TCP and ICMPv6 ("irrespective of the transport protocol").
      const fromPool = embed(LAB_NSP, pool4Addresses(t)[0]);
      const fromOther = '2001:db8:64::c633:6409'; // 198.51.100.9
      const probes: { label: string; p: Packet }[] = [
        { label: `UDP from ${fromPool} (a pool address in Pref64 form)`, p: udpTo(S4_UNDER_LAB_NSP, { src: fromPool, sport: 40010 }) },
        { label: `UDP from ${fromOther}`, p: udpTo(S4_UNDER_LAB_NSP, { src: fromOther, sport: 40011 }) },
        {
          label: `TCP SYN from ${fromOther}`,
          p: { ipv6: { src: fromOther, dst: S4_UNDER_LAB_NSP, hopLimit: 64 }, tcp: { sport: 40012, dport: 80, seq: 1, flags: { syn: true } } },
        },
        {
          label: `ICMPv6 echo request from ${fromOther}`,
          p: { ipv6: { src: fromOther, dst: S4_UNDER_LAB_NSP, hopLimit: 64 }, icmpv6: { type: 128, code: 0, id: 0x6146, seq: 1 }, payload: Buffer.from('loop') },
        },
      ];
      for (const { label, p } of probes) {
        const ex = await t.send(6, p);
        // "silently discard": no translation and no ICMP error either.
        t.expect('6146-3.5-drop-src-pref64', `${label} is dropped silently`, ex.out4.length + ex.out6.length === 0, outputs(ex), [...ex.out4, ...ex.out6]);
      }
    },
  },
  {
    id: 'destination-outside-pref64',
    suite: 'addressing',
    title: 'Only IPv6 packets to Pref64::/n are translated; a configured NSP replaces the WKP (RFC 6146 §3.5, §3.5.4)',
    requirements: ['6146-3.5-dst-must-be-pref64', '6146-3.5.4-use-configured'],
    needs: { pool6: LAB_NSP },
    async run(t) {
      const ctl = await t.send(6, udpTo(S4_UNDER_LAB_NSP));
      const o4 = single(ctl.out4);
      t.expect('6146-3.5-dst-must-be-pref64', `control: ${S4_UNDER_LAB_NSP} (inside ${LAB_NSP}) is translated`, o4?.packet.ipv4?.dst === S4, outputs(ctl), ctl.out4);
      // Same low 32 bits as [Pref64::S4], other prefixes: a translator that ignores the prefix would reach S4.
      for (const [dst, why] of [
        ['2001:db8:ffff::c612:640a', 'another /96 with S4 in its last 32 bits'],
        ['2001:db8:64:1::c612:640a', 'the neighbouring /64 of the Pref64'],
        [LAB.outside6, 'an address outside every translator prefix'],
      ] as const) {
        const ex = await t.send(6, udpTo(dst, { sport: 40020 }));
        t.expect('6146-3.5-dst-must-be-pref64', `${dst} (${why}) is not translated`, ex.out4.length === 0, outputs(ex), ex.out4);
      }
      // §3.5.4: with a configured prefix the default algorithm uses it, so the WKP form is not ours.
      const wkp = await t.send(6, udpTo('64:ff9b::c612:640a', { sport: 40021 }));
      t.expect('6146-3.5.4-use-configured', `64:ff9b::${S4} (the WKP, not configured) is not translated`, wkp.out4.length === 0, outputs(wkp), wkp.out4);
      const wkpGlobal = await t.send(6, udpTo('64:ff9b::6400:a', { sport: 40022 }));
      t.expect('6146-3.5.4-use-configured', `64:ff9b::${S4_GLOBAL} (the WKP with a global address) is not translated`, wkpGlobal.out4.length === 0, outputs(wkpGlobal), wkpGlobal.out4);
      const back = o4 ? single((await t.send(4, udpReply4(o4))).out6) : undefined;
      t.expectPacket('6146-3.5.4-use-configured', `replies from ${S4} arrive under the configured prefix as ${S4_UNDER_LAB_NSP}`, back, {
        ipv6: { src: S4_UNDER_LAB_NSP, dst: CLIENT },
      });
    },
  },
  {
    id: 'destination-outside-pool4',
    suite: 'addressing',
    title: 'Only IPv4 packets to a pool4 address are translated (RFC 6146 §3.5)',
    requirements: ['6146-3.5-dst-must-be-pool'],
    // EIF: with a mapping in place any source may reach T:t, so only the destination check can stop the probes.
    needs: { filtering: 'endpoint-independent' },
    async run(t) {
      const out = await t.send(6, udpTo(v6(t, S4)));
      const o4 = single(out.out4);
      if (!o4?.packet.ipv4 || !o4.packet.udp) {
        t.expect('6146-3.5-dst-must-be-pool', 'setup: the outbound packet is translated', false, outputs(out));
        return;
      }
      const T4 = o4.packet.ipv4.src;
      const t4 = o4.packet.udp.sport;
      const ctl = await t.send(4, udpReply4(o4));
      t.expect('6146-3.5-dst-must-be-pool', `control: ${S4} -> ${T4}:${t4} (the pool address) is translated`, single(ctl.out6)?.packet.ipv6?.dst === CLIENT, outputs(ctl), ctl.out6);
      const pool = pool4Addresses(t);
      // Neighbours of the pool and a router address, same port as the live mapping.
      const others = [nextAddress(pool[pool.length - 1]), LAB.router4, LAB.server4[1]].filter((a) => !pool.includes(a));
      for (const dst of others) {
        const ex = await t.send(4, udpFrom4(S4, dst, 7, t4));
        t.expect('6146-3.5-dst-must-be-pool', `${S4} -> ${dst}:${t4} (not a pool address) is not translated`, ex.out6.length === 0, outputs(ex), ex.out6);
      }
    },
  },
];

function nextAddress(ipv4: string): string {
  const o = ipv4.split('.').map(Number);
  const n = (((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0) + 1;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
