/**
 * The first check every real NAT64 target gets: a UDP datagram 6->4 leaves
 * from a pool4 address towards the server, and the server's reply comes back
 * to the client from the server's Pref64 address. Returns both translated
 * packets for the target-specific checks that follow.
 */
import { expect } from 'chai';
import { LAB } from '../../harness/lab/addressing';
import type { LabSession } from '../../harness/lab/target';
import { decode, encode } from '../../harness/packet/codec';
import { embed } from '../../harness/packet/rfc6052';
import type { Packet } from '../../harness/packet/types';

export async function expectUdpRoundTrip(s: LabSession, text: string): Promise<{ out4: Packet; back6: Packet }> {
  const payload = Buffer.from(text);
  await s.send(6, encode({ ipv6: { src: LAB.client6[0], dst: embed(LAB.pool6, LAB.server4[0]), hopLimit: 64 }, udp: { sport: 41000, dport: 7 }, payload }));
  const out = await s.collect({});
  expect(out.map((c) => c.side)).to.deep.equal([4]);
  const p = decode(out[0].bytes);
  expect(LAB.pool4 as readonly string[]).to.include(p.ipv4!.src);
  expect(p.ipv4!.dst).to.equal(LAB.server4[0]);
  expect(p.udp!.dport).to.equal(7);
  expect(p.payload!.equals(payload)).to.equal(true);

  await s.send(4, encode({ ipv4: { src: LAB.server4[0], dst: p.ipv4!.src, ttl: 64 }, udp: { sport: 7, dport: p.udp!.sport }, payload }));
  const back = await s.collect({});
  expect(back.map((c) => c.side)).to.deep.equal([6]);
  const q = decode(back[0].bytes);
  expect(q.ipv6!.src).to.equal(embed(LAB.pool6, LAB.server4[0]));
  expect(q.ipv6!.dst).to.equal(LAB.client6[0]);
  expect(q.udp!.dport).to.equal(41000);
  return { out4: p, back6: q };
}
