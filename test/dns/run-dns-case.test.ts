import { expect } from 'chai';
import * as dnsPacket from 'dns-packet';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createAuthority } from '../../harness/dns/authority';
import type { Dns64EffectiveConfig, Dns64Needs, Dns64Session, Dns64Target, UpstreamQuery } from '../../harness/dns/types';
import { NotApplicable } from '../../harness/lab/target';
import { decode } from '../../harness/packet/codec';
import { readPcap, ipPayloadOf } from '../../harness/packet/pcap';
import { writeRun } from '../../harness/results/write';
import type { DnsCaseDef } from '../../harness/runner/dns-case';
import { runDns64 } from '../../harness/runner/run-dns';
import { buildQuery, runDnsCase } from '../../harness/runner/run-dns-case';

const MUST = '6147-5.1.4-only-excluded';
const MUST_NOT = '6147-5.1.4-never-excluded';
const SHOULD = '6147-5.1.4-exclude-mapped-default';
const MAY = '6147-5.1.4-mixed-as-empty';

const CONFIG: Dns64EffectiveConfig = { prefixes: [{ prefix: '2001:db8:64::/96' }], exclude: ['::ffff:0:0/96'], validate: false, listen: 'fake', upstream: 'fake' };

/**
 * A scripted DNS64: forwards each client query to the harness authority as
 * one upstream query and returns the authority's answer (or nothing, or
 * garbage), on a counter clock.
 */
class FakeDns64 implements Dns64Target {
  readonly name = 'fake-dns64';
  readonly capabilities = { prefixLengths: [96], perRangePrefixes: false, exclusionConfig: false, validation: false, virtualClock: false, unsetPrefix: false };
  closed = 0;
  private readonly auth = createAuthority();

  constructor(private readonly mode: 'forward' | 'silent' | 'garbage' = 'forward', private readonly clock = false) {}

  async describe() {
    return { name: 'fake-dns64', version: '0', config: {} };
  }

  async open(needs: Dns64Needs): Promise<Dns64Session> {
    if (needs.prefixes && needs.prefixes.length > 1) throw new NotApplicable('the fake takes one prefix');
    let t = 1_000_000;
    const log: UpstreamQuery[] = [];
    const session: Dns64Session = {
      config: CONFIG,
      query: async (bytes, q) => {
        log.push({ timeUs: (t += 10), transport: q.transport, from: { address: '127.0.0.1', port: 33333 }, bytes });
        if (this.mode === 'silent') return { timeUs: (t += 10), transport: q.transport };
        if (this.mode === 'garbage') return { bytes: Buffer.from('c0ffee', 'hex'), timeUs: (t += 10), transport: q.transport };
        return { bytes: this.auth.answer(bytes, q.transport).bytes, timeUs: (t += 10), transport: q.transport };
      },
      upstream: async () => log.splice(0),
      nowUs: () => t,
      close: async () => {
        this.closed++;
      },
    };
    if (this.clock) session.advance = async (ms) => void (t += ms * 1000);
    return session;
  }

  async shutdown() {}
}

function dnsCase(run: DnsCaseDef['run'], requirements = [MUST], needs?: Dns64Needs): DnsCaseDef {
  return { kind: 'dns64', id: 'c', suite: 'dns64-synthesis', title: 'a case', requirements, needs, run };
}

describe('runner: runDnsCase', () => {
  it('passes a check and keeps query, upstream and response as evidence, in that order', async () => {
    const r = await runDnsCase(
      dnsCase(async (t) => {
        const ex = await t.query('a-only.dns64.test', 'A', { do: true });
        expect(ex.query.message?.questions?.[0].name).to.equal('a-only.dns64.test');
        expect(ex.upstream).to.have.length(1);
        t.expect(MUST, 'answered', ex.response?.message?.answers?.length === 1, 'one A', [ex.response!]);
      }),
      new FakeDns64(),
    );
    expect(r.verdict).to.equal('pass');
    expect(r.checks[0].packets).to.deep.equal([2]);
    expect(r.evidence.map((e) => e.summary)).to.deep.equal(['query A a-only.dns64.test DO', 'upstream A a-only.dns64.test DO', 'response NOERROR DO AA 1 A 100.0.0.10']);
    expect(r.evidence.map((e) => [e.direction, e.side])).to.deep.equal([['sent', 6], ['received', 4], ['received', 6]]);
    expect(r.evidence[2].dissection).to.contain(';; ANSWER SECTION:').and.contain('a-only.dns64.test.\t3600\tIN\tA\t100.0.0.10');
    expect(r.config).to.deep.equal({ ...CONFIG });
  });

  it('wraps each message in a UDP packet the packet toolkit decodes, DNS payload intact', async () => {
    const r = await runDnsCase(dnsCase(async (t) => void t.expect(MUST, 'x', !!(await t.query('dual.dns64.test', 'AAAA')).response, 'x')), new FakeDns64());
    const [q, up, resp] = r.evidence.map((e) => decode(Buffer.from(e.hex, 'hex')));
    expect(q.ipv6).to.include({ src: '2001:db8:6::10', dst: '2001:db8:6::53' });
    expect(q.udp).to.include({ dport: 53 });
    expect(up.ipv4).to.include({ src: '127.0.0.1', dst: '127.0.0.2' });
    expect(up.udp).to.include({ sport: 33333, dport: 53 });
    expect(resp.ipv6).to.include({ src: '2001:db8:6::53', dst: '2001:db8:6::10' });
    expect(resp.udp!.dport).to.equal(q.udp!.sport);
    expect(dnsPacket.decode(resp.payload!).answers![0].type).to.equal('AAAA');
  });

  it('fails a MUST check and warns on a SHOULD check; MAY is behaviour', async () => {
    const r = await runDnsCase(
      dnsCase(
        async (t) => {
          t.expect(MUST, 'm', false, 'wrong');
          t.expect(SHOULD, 's', false, 'wrong');
          t.behaviour(MAY, 'b', 'does this');
          t.expect(MUST_NOT, 'mn', true, 'fine');
        },
        [MUST, SHOULD, MAY, MUST_NOT],
      ),
      new FakeDns64(),
    );
    expect(r.checks.map((c) => [c.requirement, c.verdict, c.score])).to.deep.equal([
      [MUST, 'fail', 'fail'],
      [SHOULD, 'fail', 'warn'],
      [MAY, 'pass', 'behaviour'],
      [MUST_NOT, 'pass', 'pass'],
    ]);
    expect(r.verdict).to.equal('fail');
  });

  it('no response: the exchange has none, the case decides (here: a failure), and the notes say so', async () => {
    const r = await runDnsCase(
      dnsCase(async (t) => {
        const ex = await t.query('a-only.dns64.test', 'AAAA');
        t.expect(MUST, 'answered', ex.response !== undefined, ex.response ? 'answered' : 'no response');
      }),
      new FakeDns64('silent'),
    );
    expect(r.verdict).to.equal('fail');
    expect(r.checks[0].detail).to.equal('no response');
    expect(r.notes.join(' ')).to.contain('no response');
    expect(r.evidence.map((e) => e.summary)).to.deep.equal(['query AAAA a-only.dns64.test', 'upstream AAAA a-only.dns64.test']);
  });

  it('an undecodable response is evidence with its decode error, not a crash', async () => {
    const r = await runDnsCase(
      dnsCase(async (t) => {
        const ex = await t.query('a-only.dns64.test', 'AAAA');
        t.expect(MUST, 'decodes', ex.response?.message !== undefined, ex.response?.decodeError ?? 'ok', [ex.response!]);
      }),
      new FakeDns64('garbage'),
    );
    expect(r.verdict).to.equal('fail');
    expect(r.evidence[2].summary).to.match(/^response undecodable, 3 octets/);
    expect(r.evidence[2].dissection).to.contain('undecodable DNS message').and.contain('c0 ff ee');
  });

  it('queryRaw sends the bytes as given', async () => {
    const raw = buildQuery(77, 'a-only.dns64.test', 'A', { edns: false, rd: false });
    const r = await runDnsCase(dnsCase(async (t) => void t.expect(MUST, 'raw', (await t.queryRaw(raw)).query.bytes.equals(raw), 'same bytes')), new FakeDns64());
    expect(r.verdict).to.equal('pass');
    expect(r.evidence[0].summary).to.equal('query A a-only.dns64.test no RD no EDNS');
  });

  it('na: whole case with the reason, and per check with naCheck', async () => {
    const whole = await runDnsCase(dnsCase(async () => undefined, [MUST], { prefixes: [{ prefix: '2001:db8:64::/96' }, { prefix: '2001:db8:65::/96', ipv4: ['101.0.0.0/8'] }] }), new FakeDns64());
    expect(whole.verdict).to.equal('na');
    expect(whole.reason).to.equal('the fake takes one prefix');
    const part = await runDnsCase(
      dnsCase(
        async (t) => {
          t.naCheck(SHOULD, 's', 'cannot configure');
          t.expect(MUST, 'm', true, 'ok');
        },
        [MUST, SHOULD],
      ),
      new FakeDns64(),
    );
    expect(part.checks.map((c) => c.verdict)).to.deep.equal(['na', 'pass']);
    expect(part.verdict).to.equal('pass');
    const inCase = await runDnsCase(dnsCase(async (t) => t.na('not on this server')), new FakeDns64());
    expect(inCase.verdict).to.equal('na');
  });

  it('errors: a declared requirement left unchecked, an undeclared one checked, a harness exception; the session closes', async () => {
    const target = new FakeDns64();
    const unchecked = await runDnsCase(dnsCase(async (t) => void t.expect(MUST, 'm', true, 'ok'), [MUST, SHOULD]), target);
    expect(unchecked.verdict).to.equal('error');
    expect(unchecked.reason).to.equal(`the case recorded no check for ${SHOULD}`);
    const undeclared = await runDnsCase(dnsCase(async (t) => void t.expect(SHOULD, 's', true, 'ok'), [MUST]), target);
    expect(undeclared.verdict).to.equal('error');
    expect(undeclared.reason).to.contain('does not declare it');
    const thrown = await runDnsCase(
      dnsCase(async (t) => {
        t.expect(MUST, 'm', true, 'ok');
        throw new Error('boom');
      }, [MUST, SHOULD]),
      target,
    );
    expect(thrown.checks.map((c) => c.verdict)).to.deep.equal(['pass', 'error']);
    expect(thrown.reason).to.equal('harness error: boom');
    expect(target.closed).to.equal(3);
  });

  it('elapse: the virtual clock where there is one, na beyond the real-wait limit otherwise', async () => {
    const virtual = await runDnsCase(dnsCase(async (t) => {
      await t.elapse(600_000);
      t.expect(MUST, 'm', true, 'ok');
    }), new FakeDns64('forward', true));
    expect(virtual.verdict).to.equal('pass');
    expect(virtual.notes).to.deep.equal(["600 s passed on the target's virtual clock"]);
    const real = await runDnsCase(dnsCase(async (t) => {
      await t.elapse(600_000);
      t.expect(MUST, 'm', true, 'ok');
    }), new FakeDns64(), { realWaitLimitMs: 10 });
    expect(real.verdict).to.equal('na');
    expect(real.reason).to.contain('--soak');
  });
});

describe('runner: runDns64 and its outputs', () => {
  it('runs the selected cases into a RunResult that writeRun turns into results, JUnit, HTML and pcaps', async () => {
    const cases: DnsCaseDef[] = [
      { ...dnsCase(async (t) => void t.expect(MUST, 'm', !!(await t.query('a-only.dns64.test', 'A')).response, 'answered')), id: 'one' },
      { ...dnsCase(async (t) => void t.expect(MUST, 'm', false, 'broken')), id: 'two' },
    ];
    const lines: string[] = [];
    const run = await runDns64(new FakeDns64(), { cases, progress: (l) => lines.push(l) });
    expect(run.schema).to.equal('nat64lab-results/1');
    expect(run.cases.map((c) => [c.id, c.verdict])).to.deep.equal([['one', 'pass'], ['two', 'fail']]);
    expect(run.totals.cases.pass).to.equal(1);
    expect(lines.join('\n')).to.contain('✓').and.contain('✗');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-dnsrun-'));
    try {
      const out = writeRun(run, dir);
      const html = fs.readFileSync(out.html, 'utf8');
      expect(html).to.contain('query A a-only.dns64.test');
      const pcap = await readPcap(path.join(dir, run.cases[0].pcap!));
      expect(pcap.records).to.have.length(3);
      const first = ipPayloadOf(pcap.records[0], pcap.linkType)!;
      expect(decode(first).udp!.dport).to.equal(53);
      expect(JSON.parse(fs.readFileSync(out.json, 'utf8')).cases).to.have.length(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a case that outlives the per-case timeout still gets an error result', async () => {
    let release: () => void = () => undefined;
    const hang = new Promise<void>((r) => (release = r));
    const cases = [{ ...dnsCase(async () => hang), id: 'hangs' }];
    const run = await runDns64(new FakeDns64(), { cases, progress: null, timeoutMs: 50 });
    release();
    await hang;
    await new Promise((r) => setImmediate(r));
    expect(run.cases).to.have.length(1);
    expect(run.cases.map((c) => [c.id, c.verdict, c.reason])).to.deep.equal([['hangs', 'error', 'harness error: the case did not finish within 0.05 s']]);
  });

  it('selects by suite and grep, and names unknown suites in one line', async () => {
    const cases = [{ ...dnsCase(async (t) => void t.expect(MUST, 'm', true, 'ok')), id: 'alpha' }, { ...dnsCase(async (t) => void t.expect(MUST, 'm', true, 'ok')), id: 'beta' }];
    const run = await runDns64(new FakeDns64(), { cases, grep: 'beta', progress: null });
    expect(run.cases.map((c) => c.id)).to.deep.equal(['beta']);
    let msg = '';
    await runDns64(new FakeDns64(), { cases, suites: ['nope'], progress: null }).catch((e: Error) => (msg = e.message));
    expect(msg).to.equal('--suite: unknown suite "nope"; known: dns64-synthesis');
  });
});
