/**
 * The external target file: the examples in fixtures/targets parse, and each
 * mistake is one line that names the file, the field and the fix.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../../engine/config';
import { parseExternalSpec, readExternalSpec } from '../../harness/targets/external-config';
import { makeTarget, UnknownTargetError } from '../../harness/targets';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const F = 'device.json';

function base(): Record<string, any> {
  return {
    mode: 'l2',
    ipv6: { interface: 'eth1', deviceAddress: '2001:db8:6::fffd' },
    ipv4: { interface: 'eth2', deviceAddress: '198.18.254.2' },
    pool6: '2001:db8:64::/96',
    pool4: ['198.18.0.1'],
  };
}

function errorOf(raw: unknown): string {
  try {
    parseExternalSpec(raw, F);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).not.to.include('\n');
    return msg;
  }
  throw new Error('no error');
}

function edit(f: (o: Record<string, any>) => void): Record<string, any> {
  const o = base();
  f(o);
  return o;
}

describe('external: target file', () => {
  it('parses the examples in fixtures/targets', () => {
    const a10 = readExternalSpec(path.join(ROOT, 'fixtures/targets/a10-thunder.example.json'));
    expect(a10.ipv4.interface).to.equal('enp4s0.104');
    expect(a10.driver).to.deep.include({ kind: 'a10-axapi', passwordEnv: 'A10_PASSWORD', insecureTls: true, knobs: ['timeouts', 'filtering', 'readState', 'clearSessions'], timeoutMs: 10_000 });
    expect(a10.collect).to.deep.equal({ quietMs: 100, maxMs: 2000 });
    const plain = readExternalSpec(path.join(ROOT, 'fixtures/targets/device.example.json'));
    expect(plain.driver).to.equal(undefined);
    expect(plain.ipv6.deviceMac).to.equal('02:00:5e:00:64:06');
    expect(plain.collect).to.deep.equal({ quietMs: 50, maxMs: 2000 });
  });

  it('fills defaults and canonicalises addresses', () => {
    const s = parseExternalSpec(edit((o) => (o.pool6 = '2001:DB8:64:0::/96')), F);
    expect(s).to.deep.include({ name: 'external', pool6: '2001:db8:64::/96', timeouts: {} });
    expect(s.ipv6).to.deep.equal({ interface: 'eth1', deviceAddress: '2001:db8:6::fffd', mtu: 1500 });
  });

  const cases: [string, Record<string, any> | unknown, string][] = [
    ['not an object', [], `${F}: [] is not an object; see fixtures/targets/device.example.json`],
    ['unknown key', edit((o) => (o.pool46 = 1)), `${F}: pool46: unknown setting; known: name, mode, routes, netns, ipv6, ipv4, pool6, pool4, dns64, timeouts, filtering, collect, driver`],
    ['no mode', edit((o) => delete o.mode), `${F}: mode: missing; write "l2" (the harness sends and captures frames on its NICs) or "routed" (it sends through its routing table toward the device)`],
    ['no IPv6 interface', edit((o) => delete o.ipv6.interface), `${F}: ipv6.interface: missing; name the NIC wired to the device's IPv6 side`],
    ['no IPv6 side', edit((o) => delete o.ipv6), `${F}: ipv6: missing; write "ipv6": { "interface": "eth1", "deviceAddress": "..." } (the NIC wired to the device's IPv6 side)`],
    ['bad interface', edit((o) => (o.ipv4.interface = 'eth 2')), `${F}: ipv4.interface: "eth 2" is not an interface name; use 1-15 letters, digits, '_', '.' or '-'`],
    ['same NIC twice', edit((o) => (o.ipv4.interface = 'eth1')), `${F}: ipv4.interface: "eth1" is also the IPv6 side's interface; wire each side to its own NIC or VLAN`],
    ['bad VLAN', edit((o) => (o.ipv4.vlan = 4095)), `${F}: ipv4.vlan: 4095 is not a whole number from 1 to 4094; give the 802.1Q VLAN id, or leave it out for an untagged NIC`],
    ['bad MAC', edit((o) => (o.ipv6.deviceMac = '02:00:00:00:00')), `${F}: ipv6.deviceMac: "02:00:00:00:00" is not a MAC address; write e.g. "02:00:00:00:00:01" or leave it out to learn it by NDP`],
    ['IPv4 address on the IPv6 side', edit((o) => (o.ipv6.deviceAddress = '198.18.254.2')), `${F}: ipv6.deviceAddress: "198.18.254.2" is not an IPv6 address; give the device's interface address on this side`],
    ['nothing to find the device by', edit((o) => delete o.ipv4.deviceAddress), `${F}: ipv4.deviceAddress: missing; give the device's IPv4 interface address (its MAC is learned from it) or its "deviceMac"`],
    ['no pool6', edit((o) => delete o.pool6), `${F}: pool6: missing; give the Pref64 configured on the device, e.g. "64:ff9b::/96"`],
    ['bad pool6 length', edit((o) => (o.pool6 = '2001:db8:64::/80')), `${F}: pool6 "2001:db8:64::/80": RFC 6052 allows prefix lengths 32, 40, 48, 56, 64 or 96`],
    ['empty pool4', edit((o) => (o.pool4 = [])), `${F}: pool4: [] is not a non-empty list; list the IPv4 pool configured on the device, e.g. ["198.18.0.1", "198.18.0.0/30"]`],
    ['bad pool4 entry', edit((o) => (o.pool4 = ['198.18.0.1', '198.18.0.0/8'])), `${F}: pool4[1]: "198.18.0.0/8" is not an IPv4 address or prefix (/16 to /32); list the IPv4 pool configured on the device, e.g. ["198.18.0.1", "198.18.0.0/30"]`],
    ['bad timeout', edit((o) => (o.timeouts = { udp: -1 })), `${F}: timeouts.udp: -1 is not a number of seconds above 0; give the value configured on the device or leave it out`],
    ['unknown timeout', edit((o) => (o.timeouts = { tcp: 1 })), `${F}: timeouts.tcp: unknown setting; known: udp, tcpEstablished, tcpTransitory, tcpInit, tcpIncomingSyn, icmp, fragment`],
    ['bad filtering', edit((o) => (o.filtering = 'full-cone')), `${F}: filtering: "full-cone" is not a mode; write "endpoint-independent" or "address-dependent" (as configured on the device), or leave it out when unknown`],
    ['unknown driver', edit((o) => (o.driver = { kind: 'cisco' })), `${F}: driver.kind: "cisco" is not a known driver; known: a10-axapi`],
    ['driver without URL', edit((o) => (o.driver = { kind: 'a10-axapi' })), `${F}: driver.url: missing; give the management URL, e.g. "https://192.0.2.10"`],
    ['password in the file', edit((o) => (o.driver = { kind: 'a10-axapi', url: 'https://192.0.2.10', username: 'admin', passwordEnv: 'hunter2!' })), `${F}: driver.passwordEnv: "hunter2!" is not an environment variable name; write e.g. "A10_PASSWORD" (never the password itself)`],
    ['unknown knob', edit((o) => (o.driver = { kind: 'a10-axapi', url: 'https://192.0.2.10', username: 'admin', passwordEnv: 'P', knobs: ['mtu'] })), `${F}: driver.knobs[0]: "mtu" is not a knob; known: pool6, pool4, filtering, staticBib, timeouts, readState, clearSessions`],
  ];
  for (const [what, raw, msg] of cases) {
    it(`refuses ${what} in one line`, () => expect(errorOf(raw)).to.equal(msg));
  }

  it('reports an unreadable file and bad JSON in one line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nlk-cfg-'));
    try {
      const missing = path.join(dir, 'none.json');
      expect(() => readExternalSpec(missing)).to.throw(ConfigError, `${missing}: cannot read it (ENOENT); give the path of the device's target file, e.g. --target external:device.json`);
      const bad = path.join(dir, 'bad.json');
      fs.writeFileSync(bad, '{ "mode": "l2", }');
      expect(() => readExternalSpec(bad)).to.throw(ConfigError, new RegExp(`^${bad}: not valid JSON \\(.*\\); fix the syntax$`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is named on the command line as external:FILE', () => {
    expect(() => makeTarget('external')).to.throw(UnknownTargetError, '--target: external needs its target file, e.g. --target external:device.json (see fixtures/targets/)');
    const t = makeTarget(`external:${path.join(ROOT, 'fixtures/targets/device.example.json')}`);
    expect(t.name).to.equal('external:NAT64 appliance, no driver');
    expect(t.capabilities).to.deep.include({ pool6Lengths: [96], filtering: [], timeouts: false, virtualClock: false, readState: false });
  });
});
