/**
 * The engine daemon as a real process in a namespace, fed through a TUN lab
 * (needs root): translation both ways, state over the control socket,
 * reconfiguration, the lab clock, and a clean exit on SIGTERM.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ControlClient, ControlError } from '../../engine/daemon/control-client';
import { Uring } from '../../harness/io/uring';
import { Netns } from '../../harness/lab/netns';
import { TunLab } from '../../harness/lab/tun-lab';
import { encode } from '../../harness/packet/codec';
import type { Packet } from '../../harness/packet/types';
import { CLI, firstLine, labPrefix, needRoot, readUntil } from './helpers';

const CLIENT = '2001:db8:6::10';
const SERVER4 = '198.18.100.10';
const SERVER6 = '2001:db8:64::c612:640a';

const out6 = (sport: number) => encode({ ipv6: { src: CLIENT, dst: SERVER6, hopLimit: 64 }, udp: { sport, dport: 7 }, payload: Buffer.from('from ipv6') });
const reply4 = (to: Packet) =>
  encode({ ipv4: { src: SERVER4, dst: to.ipv4!.src, ttl: 64 }, udp: { sport: 7, dport: to.udp!.sport }, payload: Buffer.from('from ipv4') });

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Whether this kernel grants this process an io_uring (then "io": "auto" must take it). */
function uringGranted(): boolean {
  try {
    Uring.open(2).close();
    return true;
  } catch {
    return false;
  }
}

for (const io of ['auto', 'read-write'] as const) describe(`daemon: the engine on a TUN in a namespace, "io": "${io}"`, function () {
  this.timeout(30_000);
  const prefix = labPrefix();
  const dutTun = `${prefix}x`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-daemon-'));
  const control = path.join(dir, 'control.sock');
  let ns: Netns | undefined;
  let lab: TunLab | undefined;
  let daemon: ChildProcess | undefined;
  let ctl: ControlClient | undefined;
  let banner = '';

  before(async function () {
    needRoot(this);
    ns = await Netns.create(`${prefix}-d`);
    lab = await TunLab.create(ns, { tun6: `${prefix}6`, tun4: `${prefix}4` });
    const file = path.join(dir, 'engine.json');
    fs.writeFileSync(file, JSON.stringify({ tun: dutTun, io, pool6: '2001:db8:64::/96', pool4: ['198.18.0.1'] }));
    daemon = ns.spawn([process.execPath, CLI, 'engine', '--config', file, '--control', control, '--lab-clock'], { stdio: ['ignore', 'pipe', 'pipe'] });
    banner = await firstLine(daemon);
    await ns.ip(`link set ${dutTun} addrgenmode none`);
    await ns.ip(`link set ${dutTun} up`);
    await lab.redirectTo(dutTun);
    ctl = await ControlClient.connect(control);
  });

  after(async () => {
    ctl?.close();
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGKILL');
      await exitOf(daemon);
    }
    await lab?.close();
    await ns?.delete();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A UDP packet out and its reply back; returns the translated outbound packet. */
  function roundTrip(sport: number): Packet {
    lab!.drain();
    lab!.tun6.write(out6(sport));
    const got4 = readUntil(lab!.tun4, (p) => p.udp?.dport === 7 && p.ipv4?.dst === SERVER4);
    expect(got4.match, `translated packet on the IPv4 side; other: ${got4.other.length}`).to.not.equal(undefined);
    lab!.tun4.write(reply4(got4.match!));
    const got6 = readUntil(lab!.tun6, (p) => p.udp?.dport === sport && p.ipv6?.dst === CLIENT);
    expect(got6.match, 'the reply translated back to the IPv6 side').to.not.equal(undefined);
    expect(got6.match!.ipv6!.src).to.equal(SERVER6);
    expect(got6.match!.payload!.toString()).to.equal('from ipv4');
    return got4.match!;
  }

  it('prints one line naming the TUN and the pools when it is up', () => {
    expect(banner).to.equal(`nat64lab engine: translating on ${dutTun} (pool6 2001:db8:64::/96, pool4 198.18.0.1)`);
  });

  it('translates UDP 6→4 and the reply 4→6, and shows the session in its state', async () => {
    const p4 = roundTrip(41000);
    expect(p4.ipv4!.src).to.equal('198.18.0.1');
    expect(p4.ipv4!.ttl).to.equal(63);
    const state = await ctl!.request('state');
    const s = state.sessions.find((x) => x.v6.sport === 41000);
    expect(s, JSON.stringify(state.sessions)).to.not.equal(undefined);
    expect(s!.protocol).to.equal('udp');
    expect(s!.v4).to.include({ src: '198.18.0.1', sport: p4.udp!.sport, dst: SERVER4, dport: 7 });
    expect(state.bib.some((b) => b.v6.port === 41000 && b.v4.port === p4.udp!.sport)).to.equal(true);
    const stats = await ctl!.request('stats');
    expect(stats.in[6]).to.be.at.least(1);
    expect(stats.out[4]).to.be.at.least(1);
    expect(stats.in[4]).to.be.at.least(1);
    expect(stats.out[6]).to.be.at.least(1);
    expect(stats.internalErrors).to.equal(0);
    expect(stats.io).to.equal(io === 'auto' && uringGranted() ? 'io_uring' : 'read-write');
    expect(stats.loop.userMs + stats.loop.systemMs).to.be.greaterThan(0);
  });

  it('configure resets the state and answers with the effective configuration', async () => {
    roundTrip(41001);
    expect((await ctl!.request('state')).sessions).to.not.have.length(0);
    const r = await ctl!.request('configure', { config: { pool6: '2001:db8:64::/96', pool4: ['198.18.0.2'], timeouts: { udp: 150 } } });
    expect(r.config.pool4.map((e) => e.address)).to.deep.equal(['198.18.0.2']);
    expect(r.config.timeouts.udp).to.equal(150);
    const state = await ctl!.request('state');
    expect(state.sessions).to.have.length(0);
    expect(state.bib).to.have.length(0);
    expect(roundTrip(41002).ipv4!.src).to.equal('198.18.0.2');
  });

  it('refuses a bad configuration in one line and keeps the running one', async () => {
    const err = await ctl!.request('configure', { config: { timeouts: { udp: 60 } } }).catch((e) => e);
    expect(err).to.be.instanceOf(ControlError);
    expect(err.message).to.match(/^configure\.config\.timeouts\.udp: .*UDP_MIN/);
    expect(roundTrip(41003).ipv4!.src).to.equal('198.18.0.2');
  });

  it('advance moves the lab clock: the idle session expires and the reply is dropped', async () => {
    await ctl!.request('configure', { config: { pool6: '2001:db8:64::/96', pool4: ['198.18.0.1'] } });
    const p4 = roundTrip(41004);
    const before = await ctl!.request('state');
    expect(before.sessions).to.have.length(1);
    const stale = before.sessions[0].expires;
    const adv = await ctl!.request('advance', { ms: 299_000 });
    expect(adv.now).to.be.lessThan(stale);
    expect((await ctl!.request('state')).sessions).to.have.length(1);
    await ctl!.request('advance', { ms: 2_000 });
    const after = await ctl!.request('state');
    expect(after.sessions).to.have.length(0);
    expect(after.now).to.be.at.least(stale);
    lab!.drain();
    lab!.tun4.write(reply4(p4));
    await ctl!.request('sync');
    expect(readUntil(lab!.tun6, () => true, 100).match, 'nothing reaches the IPv6 side').to.equal(undefined);
    const err = await ctl!.request('advance', { ms: -5 }).catch((e) => e);
    expect(err.message).to.match(/^advance\.ms: -5 is not valid/);
  });

  it('on real time refuses advance, and stops on the stop command with status 0', async () => {
    const file = path.join(dir, 'real.json');
    const sock = path.join(dir, 'real.sock');
    fs.writeFileSync(file, JSON.stringify({ tun: `${prefix}r` }));
    const real = ns!.spawn([process.execPath, CLI, 'engine', '--config', file, '--control', sock], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(await firstLine(real)).to.match(/translating on nlb\w+r \(pool6 64:ff9b::\/96, pool4 198\.18\.0\.1, 198\.18\.0\.2\)$/);
    const c = await ControlClient.connect(sock);
    const err = await c.request('advance', { ms: 1000 }).catch((e) => e);
    expect(err.message).to.equal('advance: the daemon runs on real time; start it with --lab-clock');
    expect(await c.request('stop')).to.deep.equal({ stopping: true });
    expect(await exitOf(real)).to.equal(0);
    c.close();
    expect(fs.existsSync(sock)).to.equal(false);
  });

  it('exits 1 with one line when the TUN cannot be opened, leaving no socket', async () => {
    const tun = `${prefix}q`;
    // A persistent multi-queue TUN refuses a single-queue attach (EINVAL).
    await ns!.ip(`tuntap add dev ${tun} mode tun multi_queue`);
    const file = path.join(dir, 'busy.json');
    const sock = path.join(dir, 'busy.sock');
    fs.writeFileSync(file, JSON.stringify({ tun }));
    const child = ns!.spawn([process.execPath, CLI, 'engine', '--config', file, '--control', sock], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    expect(await exitOf(child)).to.equal(1);
    expect(stderr.trim().split('\n'), stderr).to.have.length(1);
    expect(stderr).to.match(new RegExp(`^nat64lab engine: TUN ${tun}: .*Invalid argument`));
    expect(fs.existsSync(sock)).to.equal(false);
  });

  it('on SIGTERM stops, removes its socket and TUN, and exits 0; the namespace then goes without residue', async () => {
    ctl!.close();
    ctl = undefined;
    daemon!.kill('SIGTERM');
    expect(await exitOf(daemon!)).to.equal(0);
    expect(fs.existsSync(control)).to.equal(false);
    const { stdout } = await ns!.exec(['ip', '-o', 'link', 'show']);
    expect(stdout).not.to.include(dutTun);
    await lab!.close();
    await ns!.delete();
    const { execFileSync } = await import('child_process');
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.to.include(`${prefix}-d`);
  });
});
