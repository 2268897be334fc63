/**
 * The external target using a driver: with the A10 aXAPI double as the
 * device's management API (and the engine daemon behind veths carrying the
 * packets), a case's needs become driver calls, sessions are cleared between
 * cases, the device's refusal is the case's ConfigRefused, needs beyond the
 * driver are na with the reason, and the driver logs off at shutdown.
 */
import { expect } from 'chai';
import { ConfigRefused, NotApplicable } from '../../harness/lab/target';
import { ExternalTarget } from '../../harness/targets/external';
import { needRoot } from '../lab/lab-helpers';
import { buildAppliance, nlkPrefix } from './appliance';
import type { Appliance } from './appliance';
import { AxapiDouble } from './axapi-double';

describe('external: target with the A10 driver (aXAPI double)', function () {
  this.timeout(60_000);
  let app: Appliance | undefined;
  let double: AxapiDouble | undefined;
  let target: ExternalTarget | undefined;
  const saved = process.env.NLK_A10_PASSWORD;

  before(async function () {
    needRoot(this);
    double = new AxapiDouble();
    await double.start();
    process.env.NLK_A10_PASSWORD = double.password;
    app = await buildAppliance(nlkPrefix(), {
      filtering: undefined,
      driver: { kind: 'a10-axapi', url: double.url, username: double.username, passwordEnv: 'NLK_A10_PASSWORD', knobs: ['timeouts', 'filtering', 'readState', 'clearSessions'] },
    });
    target = ExternalTarget.fromFile(app.targetFile);
  });
  after(async () => {
    await target?.shutdown();
    await app?.close();
    await double?.stop();
    if (saved === undefined) delete process.env.NLK_A10_PASSWORD;
    else process.env.NLK_A10_PASSWORD = saved;
  });

  it('describes the device as the driver reads it', async () => {
    expect(target!.capabilities).to.deep.include({ filtering: ['endpoint-independent'], timeouts: true, readState: true, virtualClock: false });
    const d = await target!.describe();
    expect(d.version).to.equal('vThunder ACOS 6.0.4 build 17 (double)');
    expect(d.config).to.deep.include({ filtering: 'not declared', stateBetweenCases: 'sessions cleared through the driver' });
    expect(d.config.driver).to.deep.equal({ kind: 'a10-axapi', url: double!.url, username: 'admin', knobs: ['timeouts', 'filtering', 'readState', 'clearSessions'] });
  });

  it('turns a case\'s needs into driver calls and clears sessions before it', async () => {
    const before = double!.state.cleared;
    const s = await target!.open({ filtering: 'endpoint-independent', timeouts: { udp: 120 }, readState: true });
    expect(s.config.filtering).to.equal('endpoint-independent');
    expect(s.config.timeouts.udp).to.equal(120);
    expect(double!.state.translation).to.deep.equal({ 'udp-timeout': 120 });
    expect(double!.state.eif).to.deep.equal({ udp: { 'session-limit': 65535 }, tcp: { 'session-limit': 65535 } });
    expect(double!.state.cleared).to.equal(before + 1);
    double!.state.sessions = [{ protocol: 'UDP', 'inside-v6-address': '2001:db8:6::10', 'inside-port': 40000, 'destination-v6-address': '2001:db8:64::c612:640a', 'nat-address': '198.18.0.1', 'nat-port': 1055, 'destination-address': '198.18.100.10', 'destination-port': 7, age: 100 }];
    const tables = await s.state!();
    expect(tables.bib).to.deep.equal([{ protocol: 'udp', v6: { address: '2001:db8:6::10', port: 40000 }, v4: { address: '198.18.0.1', port: 1055 }, static: false }]);
    await s.close();
    // Already in place: a second case with the same needs changes nothing on the device.
    const posts = double!.log.filter((r) => r.path === '/axapi/v3/cgnv6/translation').length;
    await (await target!.open({ timeouts: { udp: 120 } })).close();
    expect(double!.log.filter((r) => r.path === '/axapi/v3/cgnv6/translation').length).to.equal(posts);
    // A case that needs nothing gets the declared value back.
    const plain = await target!.open({});
    expect(plain.config.timeouts.udp).to.equal(300);
    expect(double!.state.translation).to.deep.equal({ 'udp-timeout': 300 });
    await plain.close();
  });

  it('makes a refused value ConfigRefused and needs beyond the driver na', async () => {
    let err: unknown;
    await target!.open({ timeouts: { udp: 20000 } }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(ConfigRefused);
    expect((err as Error).message).to.equal('POST /axapi/v3/cgnv6/translation: udp-timeout: value 20000 out of range 2-15000 (HTTP 400)');
    err = undefined;
    await target!.open({ filtering: 'address-dependent', timeouts: { tcpTransitory: 300 } }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(NotApplicable);
    expect((err as Error).message).to.equal(
      "needs address-dependent filtering; the device's driver can set only endpoint-independent; needs the tcpTransitory timeout at 300 s; the device's driver has no setting for it",
    );
  });

  it('logs off at shutdown', async () => {
    expect(double!.liveSessions).to.equal(1);
    await target!.shutdown();
    expect(double!.liveSessions).to.equal(0);
  });
});
