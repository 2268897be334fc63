/**
 * The A10 aXAPI v3 driver against the local HTTP double: login and the
 * signature on every request, timeouts, EIM/EIF, prefix, sessions and
 * counters, logoff, and one-line errors for bad credentials, a missing
 * password variable, a refused value and an unreachable device.
 */
import { expect } from 'chai';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { A10AxapiDriver, AXAPI } from '../../harness/drivers/a10-axapi';
import { DriverError, DriverRefused } from '../../harness/drivers/driver';
import type { DriverSpec } from '../../harness/targets/external-config';
import { AxapiDouble } from './axapi-double';

describe('external: A10 aXAPI v3 driver (against the HTTP double)', () => {
  let double: AxapiDouble;
  const env = { A10_PASSWORD: 'a10-lab-password' };
  const spec = (over: Partial<DriverSpec> = {}): DriverSpec => ({
    kind: 'a10-axapi',
    url: double.url,
    username: 'admin',
    passwordEnv: 'A10_PASSWORD',
    insecureTls: false,
    knobs: ['timeouts', 'filtering'],
    timeoutMs: 5000,
    ...over,
  });

  beforeEach(async () => {
    double = new AxapiDouble();
    await double.start();
  });
  afterEach(() => double.stop());

  it('logs in, sends the signature on every request, reads the version and logs off', async () => {
    const d = new A10AxapiDriver(spec({ partition: 'p64' }), env);
    const id = await d.connect();
    expect(id).to.deep.equal({ product: 'vThunder', version: 'ACOS 6.0.4 build 17 (double)' });
    expect(double.state.partition).to.equal('p64');
    expect(double.liveSessions).to.equal(1);
    await d.disconnect();
    expect(double.liveSessions).to.equal(0);
    const [auth, ...rest] = double.log;
    expect(auth).to.include({ method: 'POST', path: AXAPI.auth, status: 200, authorization: undefined });
    expect(auth.body).to.deep.equal({ credentials: { username: 'admin', password: 'a10-lab-password' } });
    expect(rest.map((r) => r.path)).to.deep.equal([AXAPI.partition('p64'), AXAPI.version, AXAPI.logoff]);
    for (const r of rest) {
      expect(r.authorization).to.match(/^A10 [0-9a-f]{32}$/);
      expect(r.status).to.equal(200);
    }
    // Safe twice: no second logoff request.
    await d.disconnect();
    expect(double.log).to.have.length(4);
  });

  it('sets the timeouts it knows in whole seconds and refuses the ones ACOS has no setting for', async () => {
    const d = new A10AxapiDriver(spec(), env);
    await d.connect();
    await d.setTimeouts({ udp: 120, tcpEstablished: 7200, icmp: 60 });
    expect(double.state.translation).to.deep.equal({ 'udp-timeout': 120, 'tcp-timeout': 7200, 'icmp-timeout': { 'icmp-timeout-val': 60 } });
    expect([...d.timeoutKeys].sort()).to.deep.equal(['icmp', 'tcpEstablished', 'udp']);
    let err: unknown;
    await d.setTimeouts({ tcpTransitory: 240 }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(DriverRefused);
    expect((err as Error).message).to.equal('the A10 driver has no setting for the tcpTransitory timeout');
    await d.disconnect();
  });

  it('reports a value the device refuses as one line with its reason', async () => {
    const d = new A10AxapiDriver(spec(), env);
    await d.connect();
    let err: unknown;
    await d.setTimeouts({ udp: 20000 }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(DriverRefused);
    expect((err as Error).message).to.equal(`POST ${AXAPI.translation}: udp-timeout: value 20000 out of range 2-15000 (HTTP 400)`);
    await d.disconnect();
  });

  it('switches on endpoint-independent mapping and filtering for UDP and TCP, and refuses address-dependent', async () => {
    const d = new A10AxapiDriver(spec(), env);
    await d.connect();
    await d.setFiltering('endpoint-independent');
    expect(double.state.eim).to.deep.equal({ udp: 1, tcp: 1 });
    expect(double.state.eif).to.deep.equal({ udp: { 'session-limit': 65535 }, tcp: { 'session-limit': 65535 } });
    let err: unknown;
    await d.setFiltering('address-dependent').catch((e) => (err = e));
    expect(err).to.be.instanceOf(DriverRefused);
    expect((err as Error).message).to.match(/^ACOS has no address-dependent filtering setting/);
    await d.disconnect();
  });

  it('replaces the NAT64 prefix, adding the new one before removing the old', async () => {
    const d = new A10AxapiDriver(spec(), env);
    await d.connect();
    await d.setPool6('2001:db8:64::/96');
    await d.setPool6('3fff:64::/32');
    expect(double.state.prefixes).to.deep.equal(['3fff:64::/32']);
    const calls = double.log.filter((r) => r.path.startsWith(AXAPI.nat64Prefix)).map((r) => `${r.method} ${decodeURIComponent(r.path)}`);
    expect(calls).to.deep.equal([`POST ${AXAPI.nat64Prefix}`, `POST ${AXAPI.nat64Prefix}`, `DELETE ${AXAPI.nat64Prefix}/2001:db8:64::/96`]);
    await d.disconnect();
  });

  it('reads sessions as lab session entries, clears them, and reads counters', async () => {
    double.state.sessions = [
      { protocol: 'UDP', 'inside-v6-address': '2001:db8:6::10', 'inside-port': 40000, 'destination-v6-address': '2001:db8:64::c612:640a', 'nat-address': '198.18.0.1', 'nat-port': 1055, 'destination-address': '198.18.100.10', 'destination-port': 7, age: 290 },
    ];
    const d = new A10AxapiDriver(spec(), env);
    await d.connect();
    const s = await d.readSessions();
    expect(s).to.have.length(1);
    expect(s[0]).to.deep.include({
      protocol: 'udp',
      v6: { src: '2001:db8:6::10', sport: 40000, dst: '2001:db8:64::c612:640a', dport: 7 },
      v4: { src: '198.18.0.1', sport: 1055, dst: '198.18.100.10', dport: 7 },
    });
    expect(s[0].expires).to.be.greaterThan(Date.now() + 280_000);
    await d.clearSessions();
    expect(double.state.cleared).to.equal(1);
    expect(await d.readSessions()).to.deep.equal([]);
    expect(await d.readCounters()).to.deep.equal({ 'total-tcp-allocated': 0, 'total-udp-allocated': 3, 'data-session-created': 7 });
    await d.disconnect();
  });

  it('treats a malformed session entry as a one-line driver error naming it', async () => {
    double.state.sessions = [{ protocol: 'GRE' }];
    const d = new A10AxapiDriver(spec(), env);
    await d.connect();
    let err: unknown;
    await d.readSessions().catch((e) => (err = e));
    expect(err).to.be.instanceOf(DriverError);
    expect((err as Error).message).to.equal(`a10-axapi: GET ${AXAPI.sessions}: session-list[0]: protocol "GRE" is not UDP, TCP or ICMP`);
    await d.disconnect();
  });

  it('reports bad credentials as one line naming the user and the variable, with no session left open', async () => {
    const d = new A10AxapiDriver(spec(), { A10_PASSWORD: 'wrong' });
    let err: unknown;
    await d.connect().catch((e) => (err = e));
    expect(err).to.be.instanceOf(DriverError);
    expect((err as Error).message).to.equal(
      `a10-axapi: login as admin at ${double.url} refused (Invalid username/password (HTTP 403)); check driver.username and the password in A10_PASSWORD`,
    );
    expect((err as Error).message).not.to.include('\n');
    expect(double.liveSessions).to.equal(0);
  });

  it('reports a missing password variable before contacting the device', async () => {
    const d = new A10AxapiDriver(spec(), {});
    let err: unknown;
    await d.connect().catch((e) => (err = e));
    expect((err as Error).message).to.equal('a10-axapi: the environment variable A10_PASSWORD (driver.passwordEnv) is not set; export it with the password of admin');
    expect(double.log).to.have.length(0);
  });

  it('logs off again when the partition does not exist', async () => {
    const d = new A10AxapiDriver(spec({ partition: 'nope' }), env);
    let err: unknown;
    await d.connect().catch((e) => (err = e));
    expect((err as Error).message).to.equal(`a10-axapi: POST ${AXAPI.partition('nope')}: Partition nope does not exist (HTTP 404)`);
    expect(double.liveSessions).to.equal(0);
  });

  it('reports an unreachable device as one line', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const d = new A10AxapiDriver(spec({ url: `http://127.0.0.1:${port}` }), env);
    let err: unknown;
    await d.connect().catch((e) => (err = e));
    expect((err as Error).message).to.equal(`a10-axapi: POST http://127.0.0.1:${port}/axapi/v3/auth: ECONNREFUSED`);
  });
});
