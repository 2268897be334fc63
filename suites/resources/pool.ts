/**
 * The external pool (RFC 6888 REQ-3): no limit on its size or contiguity
 * (SHOULD NOT), and non-contiguous ranges MUST be configurable — with
 * mappings actually drawn from every range, not only the first.
 */
import { expandPool4 } from '../../harness/lab/pool4';
import type { CaseDef } from '../../harness/runner/case';
import { C6A, C6B, C6C, S4 } from '../mapping/lib';
import { SUITE, fmt, host, label, open, outputs, seenOf } from './lib';

/** Three single addresses far apart in 198.18.0.0/15 (away from the lab's servers and router), one UDP port each. */
const DISJOINT = ['198.18.0.1', '198.18.0.9', '198.18.7.33'];

const nonContiguous: CaseDef = {
  id: 'pool-noncontiguous',
  suite: SUITE,
  title: 'A pool of three disjoint addresses: mappings are drawn from all three (RFC 6888 REQ-3)',
  requirements: ['6888-3-req3-noncontiguous'],
  // One UDP port per address: once a host holds an address, the next host must get another one.
  needs: { pool4: DISJOINT.map((address) => ({ address, ports: { udp: { min: 2000, max: 2000 } } })) },
  async run(t) {
    const id = '6888-3-req3-noncontiguous';
    const configured = expandPool4(t.config.pool4);
    const flows = [];
    for (const c of [C6A, C6B, C6C]) flows.push(await open(t, 'udp', c, 40000, S4));
    const used = new Set(flows.filter((f) => f.map).map((f) => f.map!.addr));
    const fourth = await open(t, 'udp', host(0), 40000, S4);
    t.expect(
      id,
      `three hosts get mappings on ${DISJOINT.join(', ')} (one each), a fourth finds the pool full`,
      DISJOINT.every((a) => configured.includes(a)) && DISJOINT.every((a) => used.has(a)) && !fourth.map,
      `configured pool: ${configured.join(', ')}; ${flows.map((f) => `${label(f)}: ${f.map ? fmt(f.map) : outputs(f.ex)}`).join('; ')}; 4th host: ${fourth.map ? fmt(fourth.map) : 'no mapping'}`,
      [...flows, fourth].flatMap((f) => seenOf(f.ex)),
    );
  },
};

/**
 * 3328 addresses in three disjoint blocks, a /21, a /22 and a /24 (none holds
 * a lab server or router): more than a NAT64 usually gets, small enough that
 * the kill matrix can configure it a hundred times.
 */
const LARGE = ['198.19.0.0/21', '198.19.64.0/22', '198.18.64.0/24'];
const LARGE_SIZE = 2 ** 11 + 2 ** 10 + 2 ** 8;

/** Addresses a pool4 declaration holds (prefixes counted, not expanded). */
function sizeOf(pool: { address: string }[]): number {
  return pool.reduce((n, e) => n + (e.address.includes('/') ? 2 ** (32 - Number(e.address.split('/')[1])) : 1), 0);
}

const largePool: CaseDef = {
  id: 'pool-large',
  suite: SUITE,
  title: `A pool of ${LARGE_SIZE} addresses in three disjoint blocks is accepted in full (RFC 6888 REQ-3)`,
  requirements: ['6888-3-req3-pool-any'],
  async run(t) {
    const r = await t.attempt({ pool4: LARGE.map((address) => ({ address })) });
    const size = r.accepted ? sizeOf(r.config.pool4) : 0;
    t.expect(
      '6888-3-req3-pool-any',
      `pool4 ${LARGE.join(' + ')} is accepted with all ${LARGE_SIZE} addresses`,
      r.accepted && size === LARGE_SIZE,
      r.accepted ? `accepted; the target uses ${size} addresses` : `refused: ${r.reason}`,
    );
  },
};

export const poolCases: CaseDef[] = [nonContiguous, largePool];
