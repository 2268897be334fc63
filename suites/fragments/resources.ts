/**
 * Resources held for fragments (RFC 6146 §3.4: the NAT64 MUST limit them;
 * zero-checksum UDP it has no resources to reassemble MUST be discarded
 * silently) and fragment floods (RFC 4787 REQ-14a: a fragmentation-based DoS
 * must not compromise the processing of in-order and unfragmented packets).
 *
 * The cases set the target's fragment memory small (needs.fragmentMemory) so
 * that a few dozen packets reach the limit; a target whose limit cannot be
 * set makes them na.
 */
import { T } from '../../harness/packet/compare';
import type { Expectation } from '../../harness/packet/compare';
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, CaseDef, Seen } from '../../harness/runner/case';
import { only, pool4Addresses, v6 } from '../lib/flows';
import { CLIENT, Mapping, S4, SUITE, byOffset, chunks, collected, fragment4, fragment6, openUdp, pattern, reassemble4, reassemble6, sendAll, setupFailed, udp4, udp6, whatCameOut } from './lib';

type Dir = '6to4' | '4to6';
const MEMORY = 2048;
const TRAINS = 12;
const label = (dir: Dir) => (dir === '6to4' ? 'IPv6 -> IPv4' : 'IPv4 -> IPv6');

/** Datagrams of `sport` from the right side: builds fragments and the expectation of the whole datagram. */
function datagram(t: CaseContext, dir: Dir, m: Mapping | undefined, sport: number, payload: Buffer, pieces: number[], id: number): { frags: Packet[]; expected: Expectation } {
  if (dir === '6to4') {
    return {
      frags: fragment6(udp6(t, sport, payload), pieces, id),
      expected: { ipv4: { src: T.oneOf(pool4Addresses(t)), dst: S4 }, udp: { dport: 7, checksum: T.validChecksum() }, payload },
    };
  }
  return {
    frags: fragment4(udp4(m!, payload), pieces, id),
    expected: { ipv6: { src: v6(t, S4), dst: CLIENT }, udp: { sport: 7, dport: m!.sport, checksum: T.validChecksum() }, payload },
  };
}

/** Groups what came out on the far side by Identification and counts the datagrams that can be put back together. */
function completed(dir: Dir, far: Seen[]): number {
  const groups = new Map<number, Seen[]>();
  for (const s of far) {
    const id = dir === '6to4' ? s.packet.ipv4?.id : (s.packet.ipv6?.extensions?.find((e) => e.kind === 'fragment') as { id?: number } | undefined)?.id;
    if (id === undefined) continue;
    groups.set(id, [...(groups.get(id) ?? []), s]);
  }
  let n = 0;
  for (const list of groups.values()) if ((dir === '6to4' ? reassemble4(list) : reassemble6(list)).packet) n++;
  return n;
}

async function mappingFor(t: CaseContext, dir: Dir, ids: string[], sport: number): Promise<Mapping | undefined | null> {
  if (dir === '6to4') return undefined;
  const { ex, m } = await openUdp(t, sport);
  if (!m) {
    setupFailed(t, ids, 'an outbound UDP datagram opens a mapping', ex);
    return null;
  }
  return m;
}

const limitCases: CaseDef[] = (['6to4', '4to6'] as const).map((dir, i) => ({
  id: `${dir}-memory-bounded`,
  suite: SUITE,
  title: `${label(dir)}, fragment memory ${MEMORY} octets: of 12 datagrams whose first 256-octet fragments all arrive before their ends, at most 8 are delivered`,
  requirements: ['6146-3.4-frag-resource-limit'],
  needs: { fragmentMemory: MEMORY },
  async run(t) {
    t.note(`fragment memory of the target: ${t.config.fragmentMemory ?? 'not reported'} octets`);
    const sport = 43400 + 2 * i;
    const m = await mappingFor(t, dir, this.requirements, sport);
    if (m === null) return;
    const trains = Array.from({ length: TRAINS }, (_, k) => datagram(t, dir, m, sport, pattern(256, k), [256, 8], 0x8000 + k).frags);
    const firsts = await sendAll(t, dir === '6to4' ? 6 : 4, trains.map((f) => f[0]));
    const lasts = await sendAll(t, dir === '6to4' ? 6 : 4, trains.map((f) => f[1]));
    const out = collected([...firsts, ...lasts]);
    const far = dir === '6to4' ? out.out4 : out.out6;
    const n = completed(dir, far);
    // §3.4 MUST limit the resources: 12 x 256 octets of data cannot all be held in 2048; at most 8 datagrams' worth can.
    t.expect('6146-3.4-frag-resource-limit', `at most ${Math.floor(MEMORY / 256)} of ${TRAINS} held datagrams are completed (the rest did not fit in ${MEMORY} octets)`, n <= Math.floor(MEMORY / 256), `${n} datagram(s) delivered whole`, far);
  },
}));

const floodCases: CaseDef[] = (['6to4', '4to6'] as const).map((dir, i) => ({
  id: `${dir}-flood-then-traffic`,
  suite: SUITE,
  title: `${label(dir)}, fragment memory ${MEMORY} octets: after 16 never-completed fragment trains, unfragmented and fragmented datagrams (in order and last-first) still pass`,
  requirements: ['4787-11-req14a-dos'],
  needs: { fragmentMemory: MEMORY },
  async run(t) {
    const sport = 43410 + 2 * i;
    const side = dir === '6to4' ? 6 : 4;
    const m = await mappingFor(t, dir, this.requirements, sport);
    if (m === null) return;
    // The flood: 8 trains of which only a middle fragment arrives, 8 of which only the first does (about 4 800 octets, over twice the memory).
    const flood: Packet[] = [];
    for (let k = 0; k < 16; k++) {
      const f = datagram(t, dir, m, sport, pattern(600, k), chunks(608, 256), 0x9000 + k).frags;
      flood.push(k % 2 ? f[1] : f[0]);
    }
    const fl = collected(await sendAll(t, side, flood));
    t.note(`the flood of 16 incomplete trains produced: ${whatCameOut(fl)}`);

    // Unfragmented traffic goes on.
    const small = pattern(200, 1);
    const plain = dir === '6to4' ? await t.send(6, udp6(t, sport, small)) : await t.send(4, udp4(m!, small));
    const one = only(dir === '6to4' ? plain.out4 : plain.out6);
    const d0 = datagram(t, dir, m, sport, small, [208], 0);
    t.expectPacket('4787-11-req14a-dos', 'after the flood an unfragmented datagram is translated', one, d0.expected);

    for (const [name, order] of [
      ['in offset order', (l: Packet[]) => l],
      ['last fragment first', (l: Packet[]) => [...l].reverse()],
    ] as const) {
      const d = datagram(t, dir, m, sport, pattern(600, 99), chunks(608, 256), 0xa000 + name.length);
      const out = collected(await sendAll(t, side, order(d.frags)));
      const w = dir === '6to4' ? reassemble4(byOffset(out.out4)) : reassemble6(byOffset(out.out6));
      const lbl = `after the flood a datagram in 3 fragments sent back to back, ${name}, arrives whole`;
      if (w.seen) t.expectPacket('4787-11-req14a-dos', lbl, w.seen, d.expected);
      else t.expect('4787-11-req14a-dos', lbl, false, `${w.problem}; ${whatCameOut(out)}`);
    }
  },
}));

export const resourceCases: CaseDef[] = [
  ...limitCases,
  ...floodCases,
  {
    id: '4to6-udp0-no-resources',
    suite: SUITE,
    title: 'Fragment memory 2048 octets: a 3000-octet zero-checksum UDP datagram that cannot be held is discarded silently; a 1000-octet one is reassembled',
    requirements: ['6146-3.4-udp0-no-resources', '6146-3.4-udp0-frag-reassemble'],
    needs: { fragmentMemory: 2048 },
    async run(t) {
      const { ex, m } = await openUdp(t, 43420);
      if (!m) return setupFailed(t, this.requirements, 'an outbound UDP datagram opens a mapping', ex);
      // Fits: 2 fragments, about 1060 octets in all -> reassembled, checksum computed (§3.4 "if the NAT64 has enough resources").
      const small = pattern(1000, 2);
      const a = collected(await sendAll(t, 4, fragment4(udp4(m, small, {}, 0), [512, 496], 0xc001)));
      const wa = reassemble6(byOffset(a.out6));
      const la = 'a 1008-octet zero-checksum UDP datagram in 2 fragments (fits the memory) arrives whole with a computed checksum';
      const exp = { ipv6: { src: v6(t, S4), dst: CLIENT }, udp: { sport: 7, dport: 43420, checksum: T.validChecksum() }, payload: small };
      if (wa.seen) t.expectPacket('6146-3.4-udp0-frag-reassemble', la, wa.seen, exp);
      else t.expect('6146-3.4-udp0-frag-reassemble', la, false, `${wa.problem}; ${whatCameOut(a)}`);

      // Cannot fit: 1500 + 1500 + 68 octets of fragments in 2048.
      const big = pattern(3000, 3);
      const exs = await sendAll(t, 4, fragment4(udp4(m, big, {}, 0), chunks(3008, 1480), 0xc002));
      exs.push(await t.elapse(3000));
      const b = collected(exs);
      // §3.4: "If the NAT64 does not have enough resources, then it MUST silently discard the packets".
      t.expect('6146-3.4-udp0-no-resources', 'the datagram that does not fit is discarded: nothing on the IPv6 side, no error on the IPv4 side, also after 3 s', b.out6.length === 0 && b.out4.length === 0, whatCameOut(b), [...b.out4, ...b.out6]);
    },
  },
];
