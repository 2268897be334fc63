/**
 * Which Pref64 configurations a translator accepts. RFC 6052 §2.2 defines
 * the embedding for /32, /40, /48, /56, /64 and /96 only, RFC 6146 §3.5.4
 * bounds n at 96, and bits 64-71 of a /96 must be zero: a translator that
 * accepts anything else would translate to addresses no peer can decode.
 */
import type { CaseDef } from '../../harness/runner/case';

const REFUSED: { prefix: string; requirement: string; why: string }[] = [
  { prefix: '2001:db8:64::/104', requirement: '6146-3.5.4-n-le-96', why: 'longer than /96' },
  { prefix: '2001:db8:64::/120', requirement: '6146-3.5.4-n-le-96', why: 'longer than /96' },
  { prefix: '2001:db8:60::/44', requirement: '6052-2.2-lengths', why: 'not an RFC 6052 length' },
  { prefix: '2001:db8:64::/80', requirement: '6052-2.2-lengths', why: 'not an RFC 6052 length' },
  { prefix: '2001:db8:64:0:ff00::/96', requirement: '6052-2.2-nsp96-u-zero', why: 'bits 64-71 (the u-octet) set' },
];

export const prefixConfigCases: CaseDef[] = [
  {
    id: 'pool6-invalid-refused',
    suite: 'addressing',
    title: 'Pref64 prefixes of a length other than 32/40/48/56/64/96, or with the u-octet set, are refused',
    requirements: ['6146-3.5.4-n-le-96', '6052-2.2-lengths', '6052-2.2-nsp96-u-zero'],
    async run(t) {
      // A valid prefix first, so a target that refuses every pool6 change cannot pass.
      const control = await t.attempt({ pool6: '2001:db8:122:300::/56' });
      if (!control.accepted) t.na(`the target does not accept a valid /56 Pref64 either (${control.reason})`);
      t.note('control: 2001:db8:122:300::/56 accepted');
      for (const r of REFUSED) {
        const a = await t.attempt({ pool6: r.prefix });
        t.expect(r.requirement, `pool6 ${r.prefix} (${r.why}) refused`, !a.accepted, a.accepted ? `accepted: ${r.prefix}` : `refused: ${a.reason}`);
      }
    },
  },
];

prefixConfigCases.push({
  id: 'pool6-default-well-known',
  suite: 'addressing',
  title: 'With no Pref64 configured, the translator uses the well-known prefix 64:ff9b::/96',
  requirements: ['6146-3.5.4-wkp-fallback'],
  async run(t) {
    const a = await t.attempt({ unsetPool6: true });
    if (!a.accepted) return t.na(`the target cannot run without a configured Pref64 (${a.reason})`);
    t.expect('6146-3.5.4-wkp-fallback', 'Pref64 when none is configured', a.config.pool6 === '64:ff9b::/96', `pool6 in effect: ${a.config.pool6}`);
  },
});
