/**
 * Illegal source addresses are dropped silently (RFC 7915 §4.1 pointing at
 * RFC 1812 §5.3.7; §5.1 "e.g., ::1"). A control packet from a legal source
 * through the same mapping is translated, so the drops are the rule's doing.
 */
import type { Packet } from '../../harness/packet/types';
import type { CaseDef } from '../../harness/runner/case';
import { LAB } from '../../harness/lab/addressing';
import { CLIENT, open, outputs, setupFailed, udpIn, udpOut } from './lib';

const ILLEGAL4 = [
  ['0.0.0.0', '"this host" (0/8)'],
  ['0.1.2.3', '"this network" (0/8)'],
  ['127.0.0.1', 'loopback'],
  ['224.0.0.1', 'multicast'],
  ['239.1.2.3', 'multicast'],
  ['240.0.0.1', 'class E'],
  ['255.255.255.255', 'limited broadcast'],
] as const;

const ILLEGAL6 = [
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['ff02::1', 'link-scope multicast'],
  ['ff0e::1', 'global-scope multicast'],
] as const;

export const sourceCases: CaseDef[] = [
  {
    id: 'illegal-ipv4-sources',
    suite: 'header-translation',
    title: 'IPv4 packets from 0/8, 127/8, multicast, class E or broadcast sources are dropped silently',
    requirements: ['7915-4.1-illegal-src4'],
    // EIF: any legal source may use the mapping, so only the source check can stop the probes.
    needs: { filtering: 'endpoint-independent' },
    async run(t) {
      const { ex: setup, flow } = await open(t, udpOut(t));
      if (!flow) return setupFailed(t, this.requirements, 'the outbound UDP datagram is translated', setup);
      const other = LAB.server4[1];
      const ctl = await t.send(4, { ...udpIn(flow, Buffer.from('legal source')), ipv4: { src: other, dst: flow.T, ttl: 64 } });
      t.expect('7915-4.1-illegal-src4', `control: ${other} -> ${flow.T}:${flow.t} is translated`, ctl.out6.length === 1 && ctl.out6[0].packet.ipv6?.dst === CLIENT, outputs(ctl), ctl.out6);
      for (const [src, why] of ILLEGAL4) {
        const p: Packet = { ...udpIn(flow, Buffer.from(`from ${src}`)), ipv4: { src, dst: flow.T, ttl: 64 } };
        const ex = await t.send(4, p);
        t.expect('7915-4.1-illegal-src4', `${src} (${why}): dropped silently`, ex.out4.length + ex.out6.length === 0, outputs(ex), [...ex.out4, ...ex.out6]);
      }
    },
  },
  {
    id: 'illegal-ipv6-sources',
    suite: 'header-translation',
    title: 'IPv6 packets from ::1, :: or multicast sources are dropped silently',
    requirements: ['7915-5.1-illegal-src6'],
    async run(t) {
      const ctl = await t.send(6, udpOut(t));
      t.expect('7915-5.1-illegal-src6', `control: the same datagram from ${CLIENT} is translated`, ctl.out4.length === 1, outputs(ctl), ctl.out4);
      let sport = 40700;
      for (const [src, why] of ILLEGAL6) {
        const ex = await t.send(6, udpOut(t, { client: src, sport: sport++ }));
        t.expect('7915-5.1-illegal-src6', `${src} (${why}): dropped silently`, ex.out4.length + ex.out6.length === 0, outputs(ex), [...ex.out4, ...ex.out6]);
      }
    },
  },
];
