/**
 * The engine daemon serving the own DNS64 next to translation (needs root):
 * a daemon started with a `dns64` section in a namespace answers a real AAAA
 * query on its `listen` endpoint over loopback, synthesised from the A record
 * the harness authority (the fake upstream, on 127.0.0.2 in the same
 * namespace) serves, and stops with status 0.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as dnsPacket from 'dns-packet';
import { NAMES } from '../../harness/dns/names';
import { Netns } from '../../harness/lab/netns';
import { ROOT, firstLine, needRoot } from './helpers';

const PORT = 5399;
const DIST = path.join(ROOT, 'dist');

/**
 * Runs in the namespace: the harness authority on 127.0.0.2#53 (UDP), then
 * the daemon exactly as `nat64lab engine` starts it; prints "up <endpoints>".
 */
const HOST_SCRIPT = `
const dgram = require('dgram');
const [dist, file, control] = process.argv.slice(2);
const { createAuthority } = require(dist + '/harness/dns/authority');
const { readDaemonConfig } = require(dist + '/engine/daemon/config');
const { startDaemon } = require(dist + '/engine/daemon/daemon');
const authority = createAuthority({ mode: 'forward' });
const up = dgram.createSocket('udp4');
up.on('message', (m, r) => { const a = authority.answer(m, 'udp'); if (a.bytes) up.send(a.bytes, r.port, r.address); });
up.bind(53, '127.0.0.2', async () => {
  try {
    const d = await startDaemon({ config: readDaemonConfig(file), controlPath: control, labClock: false });
    process.stdout.write('up ' + d.dns64.join(',') + '\\n');
    process.on('SIGTERM', () => void d.stop());
    const code = await d.done;
    up.close();
    process.exitCode = code;
  } catch (e) { process.stderr.write(e.message + '\\n'); process.exit(1); }
});
`;

/** Runs in the namespace: one UDP query, the reply printed as hex (nothing when none came in 3 s). */
const QUERY_SCRIPT = `
const dgram = require('dgram');
const [hex, port] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
const t = setTimeout(() => s.close(), 3000);
s.on('message', (m) => { clearTimeout(t); process.stdout.write(m.toString('hex')); s.close(); });
s.send(Buffer.from(hex, 'hex'), Number(port), '127.0.0.1');
`;

describe('daemon: serves the own DNS64 from a dns64 section', function () {
  this.timeout(30_000);
  const name = `nll${Math.floor(Math.random() * 36 ** 4).toString(36)}-dns`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-daemon-dns64-'));
  let ns: Netns | undefined;
  let daemon: ChildProcess | undefined;
  let banner = '';

  before(async function () {
    needRoot(this);
    ns = await Netns.create(name);
    const file = path.join(dir, 'engine.json');
    const config = {
      tun: 'nlld0',
      pool6: '2001:db8:64::/96',
      pool4: ['198.18.0.1'],
      dns64: { prefixes: ['2001:db8:64::/96'], upstream: ['127.0.0.2'], dnssec: { validate: false }, listen: [`127.0.0.1#${PORT}`] },
    };
    fs.writeFileSync(file, JSON.stringify(config));
    const script = path.join(dir, 'host.js');
    fs.writeFileSync(script, HOST_SCRIPT);
    daemon = ns.spawn([process.execPath, script, DIST, file, path.join(dir, 'control.sock')], { stdio: ['ignore', 'pipe', 'pipe'] });
    banner = await firstLine(daemon);
  });

  after(async () => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const gone = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGKILL');
      await gone;
    }
    await ns?.delete();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('listens where the section says', () => {
    expect(banner).to.equal(`up 127.0.0.1#${PORT}`);
  });

  it('answers a AAAA query with the address synthesised from the upstream A record', async () => {
    const owner = `${NAMES.aOnly.name}.dns64.test`;
    const q = dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'AAAA', name: owner }] });
    const { stdout } = await ns!.exec([process.execPath, '-e', QUERY_SCRIPT, q.toString('hex'), String(PORT)]);
    expect(stdout, 'a reply within 3 s').to.not.equal('');
    const r = dnsPacket.decode(Buffer.from(stdout, 'hex'));
    expect(r.id).to.equal(4242);
    const aaaa = (r.answers ?? []).filter((a) => a.type === 'AAAA').map((a) => String((a as { data?: unknown }).data));
    // 100.0.0.10 under 2001:db8:64::/96 (RFC 6052 §2.2).
    expect(aaaa).to.deep.equal(['2001:db8:64::6400:a']);
  });

  it('stops with status 0 on SIGTERM, DNS64 sockets included', async () => {
    const code = new Promise<number | null>((r) => daemon!.once('exit', (c) => r(c)));
    daemon!.kill('SIGTERM');
    expect(await code).to.equal(0);
  });
});
