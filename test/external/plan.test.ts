/**
 * How a case's needs are met on an external device (no device needed): the
 * declaration where it suffices, driver changes where the operator allows
 * them, restoring the declaration afterwards, and na reasons otherwise.
 */
import { expect } from 'chai';
import { NotApplicable } from '../../harness/lab/target';
import { parseExternalSpec } from '../../harness/targets/external-config';
import { NO_REACH, declaredSettings, planFor } from '../../harness/targets/external-plan';
import type { Reach } from '../../harness/targets/external-plan';

const spec = parseExternalSpec(
  {
    mode: 'l2',
    ipv6: { interface: 'eth1', deviceAddress: '2001:db8:6::fffd' },
    ipv4: { interface: 'eth2', deviceAddress: '198.18.254.2' },
    pool6: '2001:db8:64::/96',
    pool4: ['198.18.0.1'],
    timeouts: { udp: 300 },
    filtering: 'address-dependent',
  },
  'device.json',
);
const reach: Reach = { knobs: new Set(['timeouts', 'pool6', 'filtering']), timeoutKeys: new Set(['udp', 'icmp']), filteringModes: ['endpoint-independent'] };

function naOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).to.be.instanceOf(NotApplicable);
    return (err as Error).message;
  }
  throw new Error('not na');
}

describe('external: meeting a case\'s needs', () => {
  it('runs a case whose needs the declaration meets, with the declared configuration', () => {
    const p = planFor({ pool6: '2001:db8:64::/96', filtering: 'address-dependent', timeouts: { udp: 300 } }, spec, NO_REACH, declaredSettings(spec));
    expect(p).to.not.have.any.keys('pool6', 'filtering', 'timeouts');
    expect(p.config).to.deep.include({ pool6: '2001:db8:64::/96', filtering: 'address-dependent', staticBib: [] });
    expect(p.config.timeouts).to.deep.include({ udp: 300, tcpEstablished: 7200 });
  });

  it('plans driver changes within the allowed knobs and puts the declaration back for the next case', () => {
    const p = planFor({ pool6: '3fff:64::/32', filtering: 'endpoint-independent', timeouts: { udp: 120 } }, spec, reach, declaredSettings(spec));
    expect(p).to.deep.include({ pool6: '3fff:64::/32', filtering: 'endpoint-independent', timeouts: { udp: 120 } });
    const back = planFor({ filtering: 'endpoint-independent' }, spec, reach, p.settings);
    expect(back).to.deep.include({ pool6: '2001:db8:64::/96', timeouts: { udp: 300 } });
    expect(back).to.not.have.any.keys('filtering');
    // address-dependent is declared, but this driver cannot set it back: the next case that relies on the declaration is na.
    expect(naOf(() => planFor({}, spec, reach, p.settings))).to.equal("needs address-dependent filtering; the device's driver can set only endpoint-independent");
  });

  it('names every unmet need, and what the device was declared with', () => {
    expect(naOf(() => planFor({ virtualClock: true, pool4: [{ address: '198.18.0.9' }], staticBib: [{ protocol: 'udp', v6: { address: '2001:db8:6::10', port: 1 }, v4: { address: '198.18.0.1', port: 1 } }], timeouts: { tcpTransitory: 300 }, readState: true }, spec, NO_REACH, declaredSettings(spec)))).to.equal(
      "needs a controllable clock; an external device's clock runs in real time; needs pool4 198.18.0.9; the device is declared with 198.18.0.1 and the harness cannot change an external device's pool; needs static BIB entries; the harness cannot create them on an external device; needs the tcpTransitory timeout at 300 s; the device is declared with an unknown value and no driver is configured to change it; reads the BIB and session tables; no driver is configured to read them",
    );
    expect(naOf(() => planFor({ mtu: { ipv4: 1280 }, icmpErrors: { send4: false } }, spec, reach, declaredSettings(spec)))).to.equal(
      'needs next-hop MTUs {"ipv4":1280}; the links are declared with IPv6 1500 and IPv4 1500, and the harness cannot change an external device\'s MTUs; needs a policy for the ICMP errors the device originates; the harness cannot set it on an external device',
    );
  });
});
