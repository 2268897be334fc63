/** The engine daemon without root: its configuration file, the CLI's refusals, the data path on a fake device, the control socket. */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createTranslator, seededRandom, virtualClock } from '../../engine';
import { ConfigError, parseEngineConfig } from '../../engine/config';
import { latchedClock, offsetClock } from '../../engine/daemon/clock';
import { parseDaemonConfig } from '../../engine/daemon/config';
import { parseDns64Config } from '../../engine/dns64/config';
import { ControlClient, ControlError } from '../../engine/daemon/control-client';
import { serveControl } from '../../engine/daemon/control-server';
import { Dataplane } from '../../engine/daemon/dataplane';
import { ReadWritePort } from '../../engine/daemon/tun-ports';
import { decode, encode } from '../../harness/packet/codec';
import { CLI, ROOT } from './helpers';

const oneLine = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg.split('\n')).to.have.length(1);
    return msg;
  }
  throw new Error('expected a ConfigError');
};

describe('daemon: configuration file', () => {
  it('takes the engine configuration plus "tun"', () => {
    const c = parseDaemonConfig({ tun: 'nat64', pool6: '64:ff9b::/96', pool4: ['198.18.0.1'] }, 'f.json');
    expect(c.tun).to.equal('nat64');
    expect(c.engine).to.deep.equal(parseEngineConfig({ pool6: '64:ff9b::/96', pool4: ['198.18.0.1'] }));
    expect(c.dns64).to.equal(undefined);
  });

  it('names the file and the field, and says what to write', () => {
    expect(oneLine(() => parseDaemonConfig({ pool6: '64:ff9b::/96' }, 'f.json'))).to.match(/^f\.json: config\.tun: missing; add "tun"/);
    expect(oneLine(() => parseDaemonConfig({ tun: 'a/b' }, 'f.json'))).to.match(/^f\.json: config\.tun: "a\/b" is not an interface name; use /);
    expect(oneLine(() => parseDaemonConfig({ tun: 'sixteen-chars-xx' }, 'f.json'))).to.match(/^f\.json: config\.tun: /);
    expect(oneLine(() => parseDaemonConfig({ tun: 7 }, 'f.json'))).to.match(/^f\.json: config\.tun: 7 is not/);
    expect(oneLine(() => parseDaemonConfig({ tun: 'x', pool6: '10.0.0.0/8' }, 'f.json'))).to.match(/^f\.json: config\.pool6: /);
    expect(oneLine(() => parseDaemonConfig({ tun: 'x', timeouts: { udp: 5 } }, 'f.json'))).to.match(/^f\.json: config\.timeouts\.udp: /);
    expect(oneLine(() => parseDaemonConfig([], 'f.json'))).to.match(/^f\.json: config: \[\] is not an object/);
  });

  it('lists its own keys with the engine\'s when a top-level key is unknown', () => {
    const msg = oneLine(() => parseDaemonConfig({ tun: 'x', tunnel: 'y' }, 'f.json'));
    expect(msg).to.match(/^f\.json: config\.tunnel: unknown setting; known: pool6, .*, tun, io, busyPollUs, dns64$/);
    // Nested unknown keys are the engine's business alone.
    expect(oneLine(() => parseDaemonConfig({ tun: 'x', timeouts: { udpp: 300 } }, 'f.json'))).not.to.match(/tun, dns64/);
  });

  it('takes "io" and "busyPollUs", with defaults, and refuses anything else in one line', () => {
    const c = parseDaemonConfig({ tun: 'x' }, 'f.json');
    expect(c.io).to.equal('auto');
    expect(c.busyPollUs).to.equal(0);
    expect(parseDaemonConfig({ tun: 'x', io: 'read-write', busyPollUs: 50 }, 'f.json')).to.include({ io: 'read-write', busyPollUs: 50 });
    expect(parseDaemonConfig({ tun: 'x', io: 'io_uring' }, 'f.json').io).to.equal('io_uring');
    expect(oneLine(() => parseDaemonConfig({ tun: 'x', io: 'uring' }, 'f.json'))).to.equal('f.json: config.io: "uring" is not an I/O mode; use one of "auto", "io_uring", "read-write"');
    for (const bad of [-1, 1.5, 10_001, '50', null]) {
      expect(oneLine(() => parseDaemonConfig({ tun: 'x', busyPollUs: bad }, 'f.json'))).to.match(/^f\.json: config\.busyPollUs: .* is not a number of microseconds; use an integer from 0 \(sleep at once\) to 10000$/);
    }
  });

  it('takes a dns64 section with the keys of `nat64lab dns64 --config`, and wants an object there', () => {
    const section = { prefixes: ['2001:db8:64::/96'], upstream: ['127.0.0.2'], listen: ['127.0.0.1#5399'] };
    expect(parseDaemonConfig({ tun: 'x', dns64: section }, 'f.json').dns64).to.deep.equal(parseDns64Config(section, 'f.json: config.dns64'));
    expect(oneLine(() => parseDaemonConfig({ tun: 'x', dns64: true }, 'f.json'))).to.match(/^f\.json: config\.dns64: true is not an object/);
  });

  it('refuses a bad dns64 section in one line naming config.dns64.<field>', () => {
    const bad = (dns64: unknown) => oneLine(() => parseDaemonConfig({ tun: 'x', dns64 }, 'f.json'));
    // RFC 6147 §5.2: n <= 96.
    expect(bad({ prefixes: ['2001:db8:64::/104'], upstream: ['127.0.0.2'] })).to.match(/^f\.json: config\.dns64\.prefixes\[0\]\.prefix "2001:db8:64::\/104": /);
    expect(bad({ upstream: [] })).to.match(/^f\.json: config\.dns64\.upstream: empty; /);
    expect(bad({ upstream: ['127.0.0.2'], listen: ['127.0.0.1#99999'] })).to.match(/^f\.json: config\.dns64\.listen\[0\]/);
    expect(bad({ upstream: ['127.0.0.2'], faults: ['no-such-fault'] })).to.match(/^f\.json: config\.dns64\.faults\[0\]: /);
    expect(bad({ upstream: ['127.0.0.2'], prefix: '64:ff9b::/96' })).to.match(/^f\.json: config\.dns64\.prefix: unknown setting; known: prefixes, /);
  });
});

describe('daemon: the engine command refuses bad input in one line with status 2', function () {
  this.timeout(30_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-daemon-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  const cases: [string, string[], RegExp][] = [
    ['no --config', [], /--config FILE is required/],
    ['a missing file', ['--config', path.join(dir, 'absent.json')], /absent\.json: cannot read it \(ENOENT\)/],
    ['bad JSON', ['--config', file('syntax.json', '{"tun": "x",')], /syntax\.json: not valid JSON/],
    ['no tun', ['--config', file('notun.json', '{"pool6": "64:ff9b::/96"}')], /notun\.json: config\.tun: missing/],
    ['a bad tun name', ['--config', file('badtun.json', '{"tun": "has space"}')], /badtun\.json: config\.tun: "has space" is not an interface name/],
    ['a bad engine field', ['--config', file('pool6.json', '{"tun": "x", "pool6": "2001:db8::/33"}')], /pool6\.json: config\.pool6: .*RFC 6052/],
    ['a bad dns64 section', ['--config', file('dns64.json', '{"tun": "x", "dns64": {"prefixes": [{"prefix": "2001:db8::/104"}]}}')], /dns64\.json: config\.dns64\.prefixes/],
    ['an unknown option', ['--config', file('ok.json', '{"tun": "x"}'), '--labclock'], /engine: Unknown option '--labclock'/],
  ];
  for (const [what, args, pattern] of cases) {
    it(what, () => {
      const r = spawnSync(process.execPath, [CLI, 'engine', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(/^nat64lab: /);
      expect(r.stderr).to.match(pattern);
      expect(r.stderr).not.to.match(/\bat .*\.js:\d+/);
    });
  }
});

describe('daemon: lab clock', () => {
  it('latched, reads the real time only on latch(), and adds the offset at once', () => {
    let real = 1000;
    const c = latchedClock(() => real);
    real = 2000;
    expect(c.now()).to.equal(1000);
    c.latch();
    expect(c.now()).to.equal(2000);
    c.advance(500);
    expect(c.now()).to.equal(2500);
    expect(c.offsetMs).to.equal(500);
  });

  it('is real time plus what advance added, and refuses to go back', () => {
    let real = 1000;
    const c = offsetClock(() => real);
    expect(c.now()).to.equal(1000);
    c.advance(300_000);
    real += 5;
    expect(c.now()).to.equal(301_005);
    expect(c.offsetMs).to.equal(300_000);
    expect(() => c.advance(-1)).to.throw(RangeError);
    expect(() => c.advance(NaN)).to.throw(RangeError);
  });
});

/** A device that hands out queued packets and keeps what is written; writes can be made to fail. */
class FakeTun {
  readonly written: Buffer[] = [];
  failWrites = false;
  constructor(readonly queue: Buffer[] = []) {}
  read(buf: Buffer): number {
    const p = this.queue.shift();
    if (!p) return -1;
    p.copy(buf);
    return p.length;
  }
  write(bytes: Buffer): void {
    if (this.failWrites) throw new Error('EIO');
    this.written.push(Buffer.from(bytes));
  }
}

describe('daemon: data path on a fake device', () => {
  const config = parseEngineConfig({ pool6: '2001:db8:64::/96', pool4: ['198.18.0.1'] });
  const out6 = () => encode({ ipv6: { src: '2001:db8:6::10', dst: '2001:db8:64::c612:640a', hopLimit: 64 }, udp: { sport: 40000, dport: 7 }, payload: Buffer.from('out') });
  const fresh = () => createTranslator(config, { clock: virtualClock(0), random: seededRandom(1) });

  it('translates what it reads, writes what comes out, and counts per side', () => {
    const port = new FakeTun([out6()]);
    const dp = new Dataplane(new ReadWritePort(port), fresh());
    expect(dp.pump(64)).to.equal(1);
    expect(port.written).to.have.length(1);
    const p4 = decode(port.written[0]);
    expect(p4.ipv4?.src).to.equal('198.18.0.1');
    expect(p4.ipv4?.dst).to.equal('198.18.100.10');
    const reply = encode({ ipv4: { src: '198.18.100.10', dst: '198.18.0.1', ttl: 64 }, udp: { sport: 7, dport: p4.udp!.sport }, payload: Buffer.from('back') });
    port.queue.push(reply);
    expect(dp.pump(64)).to.equal(1);
    expect(decode(port.written[1]).ipv6?.dst).to.equal('2001:db8:6::10');
    expect(dp.counters.in).to.deep.equal({ 6: 1, 4: 1 });
    expect(dp.counters.out).to.deep.equal({ 6: 1, 4: 1 });
    expect(dp.counters.dropped).to.deep.equal({ 6: 0, 4: 0 });
  });

  it('reads at most the batch it is given and stops when the device is empty', () => {
    const port = new FakeTun([out6(), out6(), out6()]);
    const dp = new Dataplane(new ReadWritePort(port), fresh());
    expect(dp.pump(2)).to.equal(2);
    expect(dp.pump(2)).to.equal(1);
    expect(dp.pump(2)).to.equal(0);
  });

  it('counts garbage and drops as evidence, and a refused write as a write error, without stopping', () => {
    const unknown6 = encode({ ipv6: { src: '2001:db8:6::10', dst: '2001:db8:99::1', hopLimit: 64 }, udp: { sport: 1, dport: 2 }, payload: Buffer.alloc(4) });
    const port = new FakeTun([Buffer.from([0x00, 1, 2, 3]), Buffer.from([0x45]), Buffer.alloc(0), unknown6, out6()]);
    const dp = new Dataplane(new ReadWritePort(port), fresh());
    port.failWrites = true;
    expect(dp.pump(64)).to.equal(5);
    expect(dp.counters.notIp).to.equal(1);
    expect(dp.counters.in).to.deep.equal({ 6: 2, 4: 1 });
    expect(dp.counters.dropped[4]).to.equal(1);
    expect(dp.counters.writeErrors).to.be.greaterThan(0);
    expect(dp.internalErrors).to.equal(0);
  });

  it('runs due timers on expire() and keeps counting across a replaced translator', () => {
    const clock = virtualClock(0);
    const port = new FakeTun([out6()]);
    const dp = new Dataplane(new ReadWritePort(port), createTranslator(config, { clock, random: seededRandom(1) }));
    dp.pump(8);
    expect(dp.translator.sessions()).to.have.length(1);
    clock.advance(301_000);
    dp.expire();
    expect(dp.translator.sessions()).to.have.length(0);
    dp.replace(fresh());
    port.queue.push(out6());
    dp.pump(8);
    expect(dp.counters.in[6]).to.equal(2);
  });
});

describe('daemon: control socket', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-ctl-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers JSON lines in order, errors in one line, and survives a malformed request', async () => {
    const sock = path.join(dir, 'a.sock');
    const server = await serveControl(sock, async (req) => {
      if (req.cmd === 'advance') throw new Error('advance: refused\nsecond line');
      return { echo: req.cmd, ms: req.ms };
    });
    const client = await ControlClient.connect(sock);
    try {
      const [a, b] = await Promise.all([client.request('state'), client.request('stats')]);
      expect(a).to.deep.equal({ echo: 'state' });
      expect(b).to.deep.equal({ echo: 'stats' });
      const err = await client.request('advance', { ms: 5 }).catch((e) => e);
      expect(err).to.be.instanceOf(ControlError);
      expect(err.message).to.equal('advance: refused');
      const bad = await client.request('bogus' as 'state').catch((e) => e);
      expect(bad.message).to.match(/^cmd "bogus" is unknown; use one of state, events, configure/);
      expect(await client.request('sync')).to.deep.equal({ echo: 'sync' });
    } finally {
      client.close();
      await server.close();
    }
    expect(fs.existsSync(sock)).to.equal(false);
  });

  it('replaces a stale socket file but refuses one a live daemon answers on', async () => {
    const sock = path.join(dir, 'b.sock');
    const first = await serveControl(sock, async () => ({}));
    const err = await serveControl(sock, async () => ({})).catch((e) => e);
    expect(err.message).to.match(/another daemon answers there/);
    await first.close();
    fs.writeFileSync(sock, '');
    const second = await serveControl(sock, async () => ({ ok: true }));
    const client = await ControlClient.connect(sock);
    expect(await client.request('state')).to.deep.equal({ ok: true });
    client.close();
    await second.close();
  });

  it('says in one line when nothing listens', async () => {
    const err = await ControlClient.connect(path.join(dir, 'none.sock')).catch((e) => e);
    expect(err.message).to.match(/none\.sock: ENOENT; is the daemon running\?$/);
  });
});
