/**
 * RFC 6147 §5.2 and §5.1.7 prefix selection: per-range prefixes, every
 * RFC 6052 length (u-octet skipped), the Well-Known Prefix only when no
 * prefix is configured, and then never for non-global IPv4 (RFC 6052 §3.1);
 * synthesis depends on nothing but address, prefix and configuration.
 */
import type { DnsCaseDef } from '../../harness/runner/dns-case';
import { DNS, NAMES } from '../../harness/dns/names';
import { LAB } from '../../harness/lab/addressing';
import { WELL_KNOWN_PREFIX, embed, extractDetailed, isGlobalIPv4 } from '../../harness/packet/rfc6052';
import { inPrefix, parseIPv6, parsePrefix } from '../../harness/packet/address';
import { Probe, answered, expectAaaaExactly, fresh, inZone } from '../dns-lib/checks';
import { aaaaOf, describeMessage } from '../dns-lib/msg';
import { SUITE, expectedFor } from './lib';

const rangePrefixes: DnsCaseDef = {
  kind: 'dns64',
  id: 'per-range-prefixes',
  suite: SUITE,
  title: `Per-range prefixes: ${NAMES.secondRange.range} under ${DNS.secondPrefix}, everything else under ${LAB.pool6}`,
  requirements: ['6147-5-range-prefixes', '6147-5.1.7-range-select'],
  needs: { prefixes: [{ prefix: LAB.pool6 }, { prefix: DNS.secondPrefix, ipv4: [NAMES.secondRange.range] }] },
  async run(t) {
    const p = new Probe(t);
    const second = await p.ask(inZone(NAMES.secondRange.name), 'AAAA');
    const wantSecond = [{ address: embed(DNS.secondPrefix, NAMES.secondRange.a[0]), why: `${NAMES.secondRange.range} → ${DNS.secondPrefix}` }];
    expectAaaaExactly(t, ['6147-5-range-prefixes', '6147-5.1.7-range-select'], `${NAMES.secondRange.a[0]} synthesised with the prefix of its range`, second, wantSecond);
    const other = await p.ask(fresh.a('per-range-prefixes'), 'AAAA');
    const wantOther = [{ address: embed(LAB.pool6, NAMES.freshA.a[0]), why: `outside ${NAMES.secondRange.range} → ${LAB.pool6}` }];
    expectAaaaExactly(t, '6147-5.1.7-range-select', `${NAMES.freshA.a[0]} synthesised with the default prefix`, other, wantOther);
  },
};

/** Network-specific prefixes of each RFC 6052 length (host bits and u-octet zero). */
const PREF64_BY_LENGTH: Record<number, string> = {
  32: '2001:db8::/32',
  40: '2001:db8:6400::/40',
  48: '2001:db8:64::/48',
  56: '2001:db8:64:6400::/56',
  64: '2001:db8:64:64::/64',
  96: LAB.pool6,
};

function lengthCase(len: number): DnsCaseDef {
  const prefix = PREF64_BY_LENGTH[len];
  const id = `prefix-length-${len}`;
  return {
    kind: 'dns64',
    id,
    suite: SUITE,
    title: `Synthesis with the /${len} prefix ${prefix}: RFC 6052 §2.2 layout, u-octet and suffix zero`,
    requirements: ['6147-5.2-rfc6052-support'],
    needs: { prefixes: [{ prefix }] },
    async run(t) {
      const p = new Probe(t);
      const a = await p.ask(fresh.a(id), 'AAAA');
      const ipv4 = NAMES.freshA.a[0];
      expectAaaaExactly(t, '6147-5.2-rfc6052-support', `/${len}: ${ipv4} embedded per RFC 6052 §2.2`, a, [{ address: embed(prefix, ipv4), why: `Pref64 ${prefix} + ${ipv4}` }]);
      if (answered(t, '6147-5.2-rfc6052-support', 'u-octet (bits 64-71) and suffix zero', a)) {
        const got = aaaaOf(a.m);
        const parts = got.map((x) => {
          try {
            const d = extractDetailed(prefix, x);
            return { x, ok: d.clean, text: `${x}: u-octet ${d.uOctet}, suffix ${d.suffix.toString('hex') || '(none)'}` };
          } catch (e) {
            return { x, ok: false, text: `${x}: ${(e as Error).message}` };
          }
        });
        t.expect(
          '6147-5.2-rfc6052-support',
          'u-octet (bits 64-71) and suffix zero',
          parts.length > 0 && parts.every((q) => q.ok),
          parts.map((q) => q.text).join('; ') || 'no AAAA',
          a.seen,
        );
      }
    },
  };
}

const wkpFallback: DnsCaseDef = {
  kind: 'dns64',
  id: 'wkp-fallback',
  suite: SUITE,
  title: 'No prefix configured: synthesis with 64:ff9b::/96, and never for non-global IPv4 addresses',
  requirements: ['6147-5.2-wkp-fallback', '6052-3.1-wkp-no-nonglobal-repr'],
  needs: { unsetPrefix: true },
  async run(t) {
    const p = new Probe(t);
    const a = await p.ask(fresh.a('wkp-fallback'), 'AAAA');
    expectAaaaExactly(t, '6147-5.2-wkp-fallback', 'no prefix configured: 64:ff9b::/96', a, [
      { address: embed(WELL_KNOWN_PREFIX, NAMES.freshA.a[0]), why: `Well-Known Prefix + ${NAMES.freshA.a[0]}` },
    ]);
    // RFC 6052 §3.1: 10/8, 127/8, TEST-NET-2 are not global; none may appear under the WKP.
    const wkp = parsePrefix(WELL_KNOWN_PREFIX);
    for (const n of [NAMES.private10, NAMES.loopback, NAMES.testNet, NAMES.mixedGlobal]) {
      const q = await p.ask(inZone(n.name), 'AAAA');
      const label = `${n.name} (${n.a.join(', ')}): no 64:ff9b:: address for a non-global IPv4`;
      if (!answered(t, '6052-3.1-wkp-no-nonglobal-repr', label, q)) continue;
      const bad = aaaaOf(q.m).filter((x) => inPrefix(parseIPv6(x), wkp) && !isGlobalIPv4(extractDetailed(WELL_KNOWN_PREFIX, x).ipv4));
      t.expect('6052-3.1-wkp-no-nonglobal-repr', label, bad.length === 0, `non-global under the WKP: ${bad.join(', ') || 'none'} — ${describeMessage(q.m)}`, q.seen);
      const global = n.a.filter(isGlobalIPv4);
      if (global.length) t.note(`${n.name}: global ${global.join(', ')} → ${aaaaOf(q.m).join(', ') || 'no AAAA'}`);
    }
  },
};

const inputs: DnsCaseDef = {
  kind: 'dns64',
  id: 'synthesis-inputs',
  suite: SUITE,
  title: 'Same AAAA RDATA for every client and every time: only address, prefix and configuration feed synthesis',
  requirements: ['6147-5.2-inputs'],
  async run(t) {
    const p = new Probe(t);
    const want = expectedFor(t.config, NAMES.freshA.a);
    // Different fresh names on purpose: each answer is synthesised anew, not served from a cache.
    const clients = LAB.client6.slice(0, 3);
    for (const [i, client] of clients.entries()) {
      const a = await p.ask(fresh.a('synthesis-inputs', `c${i}`), 'AAAA', { client });
      expectAaaaExactly(t, '6147-5.2-inputs', `client ${client}: same RDATA`, a, want);
    }
    await t.elapse(2_000);
    const later = await p.ask(fresh.a('synthesis-inputs', 'later'), 'AAAA', { client: clients[0] });
    expectAaaaExactly(t, '6147-5.2-inputs', '2 s later: same RDATA', later, want);
  },
};

/** Longer than /96 (RFC 6147 §5.2: "n MUST be less than or equal to 96"); not an RFC 6052 length either. */
const LONG_PREFIX = '2001:db8:64::/104';

const longPrefix: DnsCaseDef = {
  kind: 'dns64',
  id: 'prefix-longer-than-96',
  suite: SUITE,
  title: `A Pref64 longer than /96 (${LONG_PREFIX}) is refused by the configuration`,
  requirements: ['6147-5.2-n-le-96'],
  async run(t) {
    // The control: a refusal means something only where the same trial with the lab's /96 is taken.
    const control = await t.attempt({ prefixes: [{ prefix: LAB.pool6 }] });
    if (!control.accepted) {
      t.naCheck('6147-5.2-n-le-96', `${LONG_PREFIX} refused`, `the target refuses even the lab's ${LAB.pool6} in a trial (${control.reason}), so a refusal shows nothing`);
      return;
    }
    const long = await t.attempt({ prefixes: [{ prefix: LONG_PREFIX }] });
    t.expect(
      '6147-5.2-n-le-96',
      `${LONG_PREFIX} refused`,
      !long.accepted,
      long.accepted ? `accepted: the server started with prefixes ${long.config.prefixes.map((x) => x.prefix).join(', ')}` : `refused: ${long.reason}`,
    );
  },
};

export const prefixCases: DnsCaseDef[] = [rangePrefixes, ...[32, 40, 48, 56, 64, 96].map(lengthCase), wkpFallback, inputs, longPrefix];
