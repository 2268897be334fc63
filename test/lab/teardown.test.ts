import { expect } from 'chai';
import { ChildProcess, execFile, spawn } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { Netns, cleanLeftovers } from '../../harness/lab/netns';
import { hostLinks, namespaces, needRoot, testName } from './lab-helpers';

const dist = path.resolve(__dirname, '../..');
const netnsModule = JSON.stringify(path.join(dist, 'harness/lab/netns'));

/**
 * Starts a node process that creates namespace `ns`, starts `sleep` inside it,
 * prints {"sleeper": pid} and then does `then` (JavaScript run after setup).
 */
function child(ns: string, then: string, env: Record<string, string> = {}): ChildProcess {
  const script = `
    const { Netns } = require(${netnsModule});
    (async () => {
      const ns = await Netns.create(${JSON.stringify(ns)});
      const sleeper = ns.spawn(['sleep', '30'], { stdio: 'ignore' });
      ${env.NAT64LAB_PREFIX ? `require('child_process').execFileSync('ip', ['link', 'add', '${env.NAT64LAB_PREFIX}v0', 'type', 'veth', 'peer', 'name', '${env.NAT64LAB_PREFIX}v1']);` : ''}
      process.stdout.write(JSON.stringify({ sleeper: sleeper.pid }) + '\\n');
      ${then}
    })();`;
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

function firstLine(c: ChildProcess): Promise<{ sleeper: number }> {
  return new Promise((resolve, reject) => {
    let text = '';
    let err = '';
    c.stderr!.on('data', (d) => (err += d));
    c.stdout!.on('data', (d) => {
      text += d;
      if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]));
    });
    c.once('exit', (code, sig) => reject(new Error(`child ended (${code ?? sig}) before setup: ${err.trim()}`)));
  });
}

function exitOf(c: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  c.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve({ code: c.exitCode, signal: c.signalCode, stderr });
    else c.once('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** Polls `cond` until true or the deadline passes (a killed process is reaped asynchronously). */
async function eventually(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setImmediate(r));
  }
  return cond();
}

/** Whether pid is a running process (a zombie awaiting reaping counts as gone). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('lab: teardown of namespaces and processes', function () {
  beforeEach(function () {
    needRoot(this);
  });

  const scenarios = [
    ['SIGTERM', 'setInterval(() => {}, 1000);', { signal: 'SIGTERM' }],
    ['SIGINT', 'setInterval(() => {}, 1000);', { signal: 'SIGINT' }],
    ['an uncaught exception', "setTimeout(() => { throw new Error('boom in the lab'); }, 0);", { code: 1 }],
    ['an unhandled rejection', "Promise.reject(new Error('rejected in the lab'));", { code: 1 }],
    ['a normal exit without delete()', 'sleeper.unref();', { code: 0 }],
    ['process.exit()', 'process.exit(0);', { code: 0 }],
  ] as const;
  interface Outcome {
    ns: string;
    seenDuringRun: boolean;
    sleeper: number;
    exit: { code: number | null; signal: NodeJS.Signals | null; stderr: string };
  }
  const outcomes = new Map<string, Promise<Outcome>>();

  // The children run concurrently (node start-up dominates); each scenario's test checks its own outcome.
  before(function () {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
    for (const [how, then] of scenarios) {
      const ns = testName('c');
      const c = child(ns, then);
      const exit = exitOf(c);
      const run = firstLine(c).then(async ({ sleeper }) => {
        const seenDuringRun = namespaces().includes(ns);
        if (how.startsWith('SIG')) c.kill(how as NodeJS.Signals);
        return { ns, seenDuringRun, sleeper, exit: await exit };
      });
      run.catch(() => undefined); // reported by the scenario's own test
      outcomes.set(how, run);
    }
  });

  for (const [how, , expectExit] of scenarios) {
    it(`removes the namespace and kills its processes on ${how}`, async () => {
      const { ns, seenDuringRun, sleeper, exit } = await outcomes.get(how)!;
      // Runs that end by themselves may be gone before the check; the ones waiting for a signal cannot.
      if (how.startsWith('SIG')) expect(seenDuringRun, 'namespace present while the run was alive').to.equal(true);
      expect({ code: exit.code, signal: exit.signal }).to.deep.include(expectExit);
      expect(namespaces()).to.not.include(ns);
      expect(existsSync(`/run/nat64lab/${ns}`), 'marker removed').to.equal(false);
      expect(await eventually(() => !running(sleeper)), `sleep ${sleeper} killed`).to.equal(true);
    });
  }

  it('delete() kills spawned processes and is safe twice', async () => {
    const ns = await Netns.create(testName('d'));
    const p = ns.spawn(['sleep', '30'], { stdio: 'ignore' });
    const exited = new Promise((r) => p.once('exit', r));
    await ns.delete();
    await ns.delete();
    await exited;
    expect(namespaces()).to.not.include(ns.name);
    expect(() => ns.spawn(['true'])).to.throw(/is deleted/);
  });

  it('exec and ip report failures in one line naming the namespace', async () => {
    const ns = await Netns.create(testName('e'));
    try {
      const err = await ns.ip('link set nosuchdev up').then(() => undefined, (e: Error) => e);
      expect(err?.message).to.match(new RegExp(`^in namespace '${ns.name}': ip .*nosuchdev`));
      expect(err?.message).to.not.include('\n');
      expect((await ns.exec(['cat'], { input: 'through stdin' })).stdout).to.equal('through stdin');
    } finally {
      await ns.delete();
    }
  });

  it('cleanLeftovers removes what a killed run left (namespace and host links) and keeps a live run\'s namespace', async () => {
    const live = await Netns.create(testName('l'));
    try {
      const prefix = testName('k');
      const ns = `${prefix}-dut`;
      const c = child(ns, 'setInterval(() => {}, 1000);', { NAT64LAB_PREFIX: prefix });
      const exit = exitOf(c);
      const { sleeper } = await firstLine(c);
      c.kill('SIGKILL'); // no teardown can run
      await exit;
      expect(namespaces()).to.include(ns);
      expect(hostLinks()).to.include(`${prefix}v0`);

      const removed = await cleanLeftovers();
      expect(removed).to.include(`netns ${ns}`);
      expect(removed.some((r) => r.startsWith(`link ${prefix}v`))).to.equal(true);
      expect(removed.join(' ')).to.not.include(live.name);
      expect(namespaces()).to.include(live.name);
      expect(namespaces()).to.not.include(ns);
      expect(hostLinks().filter((l) => l.startsWith(prefix))).to.deep.equal([]);
      expect(await eventually(() => !running(sleeper)), 'the process inside was killed').to.equal(true);
    } finally {
      await live.delete();
    }
  });

  it("'nat64lab clean' prints what it removed and exits 0", async () => {
    const ns = testName('m');
    const c = child(ns, 'setInterval(() => {}, 1000);');
    const exit = exitOf(c);
    await firstLine(c);
    c.kill('SIGKILL');
    await exit;
    const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [path.join(dist, 'bin/nat64lab.js'), 'clean'], (err, stdout) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    expect(out.code).to.equal(0);
    expect(out.stdout).to.include(`removed netns ${ns}`);
    expect(namespaces()).to.not.include(ns);
  });
});
