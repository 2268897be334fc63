/**
 * The external target in routed mode: the target file's routed fields, and
 * the own engine daemon behind veth pairs (test/external/appliance.ts) as a
 * device the harness host routes toward. Sending goes through raw IP
 * sockets and the host's kernel resolves the device; capture is the l2
 * mode's. A UDP flow goes out and back, the routes the harness added leave
 * with it, and the udp and icmp-query suites have no harness error and the
 * in-process verdict on every case the device can run.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../../engine/config';
import { LAB } from '../../harness/lab/addressing';
import { decode, encode } from '../../harness/packet/codec';
import { embed } from '../../harness/packet/rfc6052';
import { ExternalTarget } from '../../harness/targets/external';
import { parseExternalSpec, readExternalSpec } from '../../harness/targets/external-config';
import { notAsBuilt } from '../../harness/io/raw-ip';
import { ExternalRoutedLab } from '../../harness/targets/external-routed';
import { needRoot } from '../lab/lab-helpers';
import { buildAppliance, nlkPrefix } from './appliance';
import type { Appliance } from './appliance';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'bin', 'nat64lab.js');
const F = 'routed.json';

function base(): Record<string, any> {
  return {
    mode: 'routed',
    netns: 'lab',
    routes: 'harness',
    ipv6: { interface: 'eth1', deviceAddress: '2001:db8:6::fffd' },
    ipv4: { interface: 'eth2', deviceAddress: '198.18.254.2' },
    pool6: '2001:db8:64::/96',
    pool4: ['198.18.0.1'],
  };
}

function errorOf(f: (o: Record<string, any>) => void): string {
  const o = base();
  f(o);
  try {
    parseExternalSpec(o, F);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).not.to.include('\n');
    return (err as Error).message;
  }
  throw new Error('no error');
}

function routesOf(netns: string): string {
  return execFileSync('ip', ['-n', netns, 'route', 'show', 'table', 'all'], { encoding: 'utf8' }) + execFileSync('ip', ['-n', netns, '-6', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
}

describe('external: routed mode target file', () => {
  it('parses the example and defaults routes to the operator', () => {
    const ex = readExternalSpec(path.join(ROOT, 'fixtures/targets/routed.example.json'));
    expect(ex).to.deep.include({ mode: 'routed', routes: 'operator' });
    expect(ex.ipv6.deviceAddress).to.equal('2001:db8:6::fffd');
    const o = base();
    delete o.routes;
    delete o.netns;
    expect(parseExternalSpec(o, F)).to.deep.include({ mode: 'routed', routes: 'operator' });
    expect(parseExternalSpec(base(), F)).to.deep.include({ mode: 'routed', routes: 'harness', netns: 'lab' });
  });

  const cases: [string, (o: Record<string, any>) => void, string][] = [
    ['an unknown routes value', (o) => (o.routes = 'kernel'), `${F}: routes: "kernel" is not a choice; write "operator" (the routes toward the device are in place) or "harness" (the harness adds them in netns)`],
    ['harness routes outside a namespace', (o) => delete o.netns, `${F}: routes: "harness" needs "netns": the harness adds routes only in a namespace of its own; name the namespace holding the two NICs, or write "operator" and add the routes yourself`],
    ['routes in l2 mode', (o) => (o.mode = 'l2'), `${F}: routes: only for "mode": "routed" (in l2 mode nothing is routed); leave it out`],
    ['a device MAC', (o) => (o.ipv4.deviceMac = '02:00:00:00:00:01'), `${F}: ipv4.deviceMac: not used in routed mode (the kernel resolves the next hop); leave it out and give ipv4.deviceAddress`],
    ['no next hop', (o) => delete o.ipv6.deviceAddress, `${F}: ipv6.deviceAddress: missing; give the device's IPv6 interface address (the next hop toward the device in routed mode)`],
    ['an unknown mode', (o) => (o.mode = 'l3'), `${F}: mode: "l3" is not a mode; write "l2" (the harness sends and captures frames on its NICs) or "routed" (it sends through its routing table toward the device)`],
  ];
  for (const [what, f, msg] of cases) {
    it(`refuses ${what} in one line`, () => expect(errorOf(f)).to.equal(msg));
  }
});

describe('external: routed mode sends only what the kernel leaves as built', () => {
  const v4 = (f: Record<string, unknown> = {}) => encode({ ipv4: { src: LAB.server4[0], dst: LAB.pool4[0], ttl: 64, ...f }, udp: { sport: 7, dport: 2000 }, payload: Buffer.from('x') });
  it('passes ordinary packets of the side\'s family', () => {
    expect(notAsBuilt(4, v4())).to.equal(undefined);
    expect(notAsBuilt(4, v4({ df: true }))).to.equal(undefined);
    expect(notAsBuilt(6, encode({ ipv6: { src: LAB.client6[0], dst: embed(LAB.pool6, LAB.server4[0]), hopLimit: 64 }, udp: { sport: 1, dport: 7 } }))).to.equal(undefined);
  });
  it('names what the kernel would change', () => {
    expect(notAsBuilt(4, v4({ src: '0.0.0.0' }))).to.equal('an IPv4 packet from 0.0.0.0; the kernel fills in a zero source');
    const bad = v4();
    bad.writeUInt16BE(bad.readUInt16BE(10) ^ 1, 10);
    expect(notAsBuilt(4, bad)).to.equal('an IPv4 header with a wrong checksum; the kernel sets the header checksum');
    expect(notAsBuilt(4, v4({ mf: true }))).to.equal('an IPv4 fragment with ID 0; the kernel picks an ID for it');
    expect(notAsBuilt(4, Buffer.concat([v4(), Buffer.alloc(4)]))).to.match(/^an IPv4 total length of \d+ on a \d+-byte packet; the kernel sets the total length$/);
    expect(notAsBuilt(6, v4())).to.match(/^an IPv4 packet of \d+ bytes sent on the IPv6 side; a raw IPv6 socket sends IPv6 packets only$/);
  });
});

describe('external: routed target against the engine daemon behind veths', function () {
  this.timeout(150_000);
  let app: Appliance | undefined;
  let out = '';

  before(async function () {
    needRoot(this);
    app = await buildAppliance(nlkPrefix(), {}, { routed: true });
  });
  after(async () => {
    await app?.close();
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it('translates a UDP flow out and back, and removes the routes it added', async () => {
    const target = ExternalTarget.fromFile(app!.targetFile);
    try {
      const d = await target.describe();
      expect(d.config).to.deep.include({ mode: 'routed', routes: 'default routes via the device added by the harness for the run' });
      expect(d.config.warmUp).to.equal('5 of 5 lab servers reached through the device before the first case');
      expect(routesOf(app!.harness.name)).to.include('metric 6464');
      const s = await target.open({});
      const server = LAB.server4[0];
      await s.send(6, encode({ ipv6: { src: LAB.client6[0], dst: embed(LAB.pool6, server), hopLimit: 64 }, udp: { sport: 40000, dport: 7 }, payload: Buffer.from('out') }));
      const outbound = await s.collect();
      expect(outbound.map((c) => c.side)).to.deep.equal([4]);
      const p = decode(outbound[0].bytes);
      expect(p.ipv4).to.include({ dst: server, ttl: 63 });
      await s.send(4, encode({ ipv4: { src: server, dst: p.ipv4!.src, ttl: 64 }, udp: { sport: 7, dport: p.udp!.sport }, payload: Buffer.from('back') }));
      const back = await s.collect();
      expect(back.map((c) => c.side)).to.deep.equal([6]);
      const q = decode(back[0].bytes);
      expect(q.ipv6).to.include({ src: embed(LAB.pool6, server), dst: LAB.client6[0], hopLimit: 63 });
      expect(q.udp).to.include({ sport: 7, dport: 40000 });
      await s.close();
    } finally {
      await target.shutdown();
    }
    expect(routesOf(app!.harness.name)).not.to.include('metric 6464');
  });

  it('uses the operator\'s routes, and names the missing route in one line', async () => {
    const spec = { ...readExternalSpec(app!.targetFile), routes: 'operator' as const };
    const ns = app!.harness;
    const bare = new ExternalTarget(spec);
    try {
      let err: unknown;
      await bare.open({}).catch((e) => (err = e));
      expect((err as Error).message).to.match(new RegExp(`^sending \\d+ bytes on side 6 \\(${app!.nic6}\\): sendto on ${app!.nic6}: .*\\(errno 101\\); route it toward ipv6.deviceAddress on ${app!.nic6}, or write "routes": "harness"$`));
    } finally {
      await bare.shutdown();
    }
    await ns.ip(`-6 route add default via ${spec.ipv6.deviceAddress} dev ${app!.nic6} onlink`);
    await ns.ip(`-4 route add default via ${spec.ipv4.deviceAddress} dev ${app!.nic4} onlink`);
    const routed = new ExternalTarget(spec);
    try {
      const s = await routed.open({});
      await s.send(6, encode({ ipv6: { src: LAB.client6[1], dst: embed(LAB.pool6, LAB.server4[1]), hopLimit: 64 }, udp: { sport: 40001, dport: 7 }, payload: Buffer.from('operator') }));
      expect((await s.collect()).map((c) => decode(c.bytes).ipv4?.dst)).to.deep.equal([LAB.server4[1]]);
      await s.close();
    } finally {
      await routed.shutdown();
      await ns.ip('-6 route del default');
      await ns.ip('-4 route del default');
    }
  });

  it('refuses a namespace that forwards or holds a lab address, in one line, and adds no route', async () => {
    const spec = readExternalSpec(app!.targetFile);
    const ns = app!.harness;
    const refusal = () => {
      try {
        ExternalRoutedLab.open(spec).close();
      } catch (err) {
        return (err as Error).message;
      }
      return 'opened';
    };
    await ns.sysctl({ 'net.ipv4.ip_forward': 1 });
    try {
      expect(refusal()).to.equal(`${spec.file}: netns: namespace ${ns.name} forwards packets (net.ipv4.ip_forward=1), so the device's output to the lab's addresses would be passed on; turn forwarding off there or name a namespace of its own in "netns"`);
    } finally {
      await ns.sysctl({ 'net.ipv4.ip_forward': 0 });
    }
    await ns.ip(`-4 addr add ${LAB.server4[0]}/32 dev ${app!.nic4}`);
    try {
      expect(refusal()).to.equal(`${spec.file}: netns: namespace ${ns.name} has the lab's address ${LAB.server4[0]} on ${app!.nic4}; remove it (the host's addresses must be none of the lab's clients, servers or routers)`);
    } finally {
      await ns.ip(`-4 addr del ${LAB.server4[0]}/32 dev ${app!.nic4}`);
    }
    expect(routesOf(ns.name)).not.to.include('metric 6464');
  });

  it('runs the udp and icmp-query suites with no harness error and the in-process verdict on every case it can run', () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), `${nlkPrefix()}-routed-`));
    const run = (target: string, dir: string) => {
      const r = spawnSync(process.execPath, [CLI, 'run', '--target', target, '--suite', 'udp,icmp-query', '--quiet', '--out', dir], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      const file = path.join(dir, 'results.json');
      if (!fs.existsSync(file)) throw new Error(`no results from ${target}: ${r.stdout}${r.stderr}`);
      const results = JSON.parse(fs.readFileSync(file, 'utf8'));
      return { status: r.status, text: r.stdout + r.stderr, cases: results.cases as { suite: string; id: string; verdict: string; reason?: string }[], errors: results.totals.byVerdict.error as number };
    };
    const ext = run(`external:${app!.targetFile}`, path.join(out, 'external'));
    const own = run('engine', path.join(out, 'engine'));
    expect(ext.errors, ext.text).to.equal(0);
    expect(ext.status, ext.text).to.equal(0);
    const inProcess = new Map(own.cases.map((c) => [`${c.suite}/${c.id}`, c.verdict]));
    const ran = ext.cases.filter((c) => c.verdict !== 'na');
    expect(ran.filter((c) => inProcess.get(`${c.suite}/${c.id}`) !== c.verdict).map((c) => `${c.suite}/${c.id}: ${c.verdict} vs ${inProcess.get(`${c.suite}/${c.id}`)}`)).to.deep.equal([]);
    expect(ran.map((c) => c.id)).to.include.members(['round-trip-pref64-96', 'inbound-zero-checksum', 'same-port-two-clients', 'inbound-echo-request', 'v6-nd-dropped']);
    expect(ran.length).to.be.greaterThan(15);
    for (const c of ext.cases.filter((x) => x.verdict === 'na')) expect(c.reason, c.id).to.match(/^needs /);
  });
});
