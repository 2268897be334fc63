/**
 * How long fragments of one datagram may take to arrive (RFC 6146 §3.4: as
 * long as resources remain, fragments MUST be allowed to arrive over a time
 * interval, which SHOULD be configurable and by default MUST be at least
 * FRAGMENT_MIN = 2 s, §4).
 *
 * Time passes with t.elapse: the virtual clock where the target has one,
 * otherwise a real wait (all waits here are under 10 s). The timeout of a
 * datagram runs from its first-arriving fragment, so gaps are measured from
 * the first fragment sent.
 */
import { T } from '../../harness/packet/compare';
import type { Expectation } from '../../harness/packet/compare';
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, CaseDef, Exchange } from '../../harness/runner/case';
import { pool4Addresses, v6 } from '../lib/flows';
import { CLIENT, S4, SUITE, byOffset, collected, fragment4, fragment6, openUdp, pattern, reassemble4, reassemble6, setupFailed, udp4, udp6, whatCameOut } from './lib';

type Dir = '6to4' | '4to6';

interface Train {
  fragments: Packet[];
  side: 4 | 6;
  expected: Expectation;
}

/** A UDP datagram in the fragments `pieces` (octets of UDP header and data), in the direction asked; undefined after a failed setup. */
async function train(t: CaseContext, dir: Dir, ids: string[], sport: number, pieces: number[], id: number): Promise<Train | undefined> {
  const payload = pattern(pieces.reduce((a, b) => a + b, 0) - 8, sport);
  if (dir === '6to4') {
    return {
      fragments: fragment6(udp6(t, sport, payload), pieces, id),
      side: 6,
      expected: { ipv4: { src: T.oneOf(pool4Addresses(t)), dst: S4 }, udp: { dport: 7, checksum: T.validChecksum() }, payload },
    };
  }
  const { ex, m } = await openUdp(t, sport);
  if (!m) {
    setupFailed(t, ids, 'an outbound UDP datagram opens a mapping', ex);
    return undefined;
  }
  return {
    fragments: fragment4(udp4(m, payload), pieces, id),
    side: 4,
    expected: { ipv6: { src: v6(t, S4), dst: CLIENT }, udp: { sport: 7, dport: sport, checksum: T.validChecksum() }, payload },
  };
}

/** Sends the fragments with waits between them (`gaps[i]` ms before fragment i+1), collecting everything. */
async function spread(t: CaseContext, tr: Train, gaps: number[]): Promise<{ out4: Exchange['out4']; out6: Exchange['out6'] }> {
  const exs: Exchange[] = [];
  for (let i = 0; i < tr.fragments.length; i++) {
    if (i > 0 && gaps[i - 1] > 0) exs.push(await t.elapse(gaps[i - 1]));
    exs.push(await t.send(tr.side, tr.fragments[i]));
  }
  return collected(exs);
}

function delivered(dir: Dir, out: { out4: Exchange['out4']; out6: Exchange['out6'] }) {
  return dir === '6to4' ? reassemble4(byOffset(out.out4)) : reassemble6(byOffset(out.out6));
}

const windowCases: CaseDef[] = (['6to4', '4to6'] as const).map((dir, i) => ({
  id: `${dir}-default-window-1900ms`,
  suite: SUITE,
  title: `${dir === '6to4' ? 'IPv6 -> IPv4' : 'IPv4 -> IPv6'}, default configuration: the last fragment 1.9 s after the first still completes the datagram`,
  requirements: ['6146-3.4-frag-timeout-default', '6146-3.4-frag-time-window'],
  async run(t) {
    const tr = await train(t, dir, this.requirements, 43300 + 2 * i, [256, 96], 0x7100 + i);
    if (!tr) return;
    const out = await spread(t, tr, [1900]);
    const w = delivered(dir, out);
    // §3.4 / §4: the default interval is at least FRAGMENT_MIN (2 s), so a 1.9 s gap loses nothing.
    const label = 'the datagram whose fragments are 1.9 s apart arrives whole';
    if (w.seen) t.expectPacket(this.requirements, label, w.seen, tr.expected);
    else t.expect(this.requirements, label, false, `${w.problem}; ${whatCameOut(out)}`);
  },
}));

const spreadCases: CaseDef[] = (['6to4', '4to6'] as const).map((dir, i) => ({
  id: `${dir}-spread-over-1800ms`,
  suite: SUITE,
  title: `${dir === '6to4' ? 'IPv6 -> IPv4' : 'IPv4 -> IPv6'}: three fragments arriving 0.9 s apart, last first, complete the datagram`,
  requirements: ['6146-3.4-frag-time-window'],
  async run(t) {
    const tr = await train(t, dir, this.requirements, 43310 + 2 * i, [256, 256, 96], 0x7200 + i);
    if (!tr) return;
    tr.fragments.reverse();
    const out = await spread(t, tr, [900, 900]);
    const w = delivered(dir, out);
    const label = 'the datagram spread over 1.8 s, out of order, arrives whole';
    if (w.seen) t.expectPacket('6146-3.4-frag-time-window', label, w.seen, tr.expected);
    else t.expect('6146-3.4-frag-time-window', label, false, `${w.problem}; ${whatCameOut(out)}`);
  },
}));

const configuredCases: CaseDef[] = ([
  ['6to4', 5],
  ['4to6', 3],
] as const).map(([dir, seconds], i) => ({
  id: `${dir}-configured-timeout-${seconds}s`,
  suite: SUITE,
  title: `Fragment timeout set to ${seconds} s: fragments ${seconds - 1} s apart complete the datagram, ${seconds + 1} s apart do not`,
  requirements: ['6146-3.4-frag-timeout-config'],
  needs: { timeouts: { fragment: seconds } },
  async run(t) {
    t.note(`configured fragment timeout: ${t.config.timeouts.fragment} s`);
    const inside = await train(t, dir, this.requirements, 43320 + 4 * i, [256, 96], 0x7300 + i);
    if (!inside) return;
    const a = await spread(t, inside, [(seconds - 1) * 1000]);
    const wa = delivered(dir, a);
    const la = `fragments ${seconds - 1} s apart (inside the configured ${seconds} s): the datagram arrives whole`;
    if (wa.seen) t.expectPacket('6146-3.4-frag-timeout-config', la, wa.seen, inside.expected);
    else t.expect('6146-3.4-frag-timeout-config', la, false, `${wa.problem}; ${whatCameOut(a)}`);

    const outside = await train(t, dir, this.requirements, 43322 + 4 * i, [256, 96], 0x7400 + i);
    if (!outside) return;
    const b = await spread(t, outside, [(seconds + 1) * 1000]);
    const far = dir === '6to4' ? b.out4 : b.out6;
    const back = dir === '6to4' ? b.out6 : b.out4;
    // The setting takes effect both ways: a gap beyond it loses the datagram.
    t.expect('6146-3.4-frag-timeout-config', `fragments ${seconds + 1} s apart (beyond the configured ${seconds} s): the datagram is not delivered`, far.length === 0, whatCameOut(b), far);
    const te = back.filter((s) => (dir === '6to4' ? s.packet.icmpv6?.type === 3 && s.packet.icmpv6.code === 1 : s.packet.icmpv4?.type === 11 && s.packet.icmpv4.code === 1));
    t.note(te.length ? 'after the timeout the target sent Time Exceeded code 1 (fragment reassembly time exceeded) to the source' : 'after the timeout the target sent no Time Exceeded (RFC 792 / RFC 8200 §4.5 leave it to the reassembling node)');
  },
}));

export const timerCases: CaseDef[] = [...windowCases, ...spreadCases, ...configuredCases];
