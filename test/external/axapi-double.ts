/**
 * An HTTP double of A10's aXAPI v3 on 127.0.0.1, built from the published
 * documentation's request and answer shapes: it checks the credentials, the
 * `Authorization: A10 <signature>` header on every later request, and the
 * payload of each configuration object, answers like ACOS
 * ({ response: { status, err: { code, msg } } }) and serves session and
 * statistics reads. It keeps the configuration it was given so tests can
 * assert what the driver did.
 */
import { randomBytes } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface DoubleState {
  translation: Record<string, unknown>;
  eim?: Record<string, unknown>;
  eif?: Record<string, unknown>;
  prefixes: string[];
  partition?: string;
  sessions: Record<string, unknown>[];
  stats: Record<string, number>;
  cleared: number;
}

export interface RequestLog {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
  status: number;
}

export class AxapiDouble {
  readonly state: DoubleState = { translation: {}, prefixes: [], sessions: [], stats: { 'total-tcp-allocated': 0, 'total-udp-allocated': 3, 'data-session-created': 7 }, cleared: 0 };
  readonly log: RequestLog[] = [];
  private readonly signatures = new Set<string>();
  private server!: http.Server;
  url = '';

  constructor(readonly username = 'admin', readonly password = 'a10-lab-password', readonly partitions: string[] = ['shared', 'p64']) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        let parseError = false;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          parseError = true;
        }
        const entry: RequestLog = { method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body, status: 0 };
        const answer = (status: number, payload: unknown) => {
          entry.status = status;
          this.log.push(entry);
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(payload));
        };
        if (parseError) return answer(400, fail(1023, 'JSON parse error'));
        try {
          const [status, payload] = this.handle(entry.method, entry.path, req.headers.authorization, body);
          answer(status, payload);
        } catch (err) {
          answer(500, fail(1, (err as Error).message));
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Signatures currently valid (logged in and not logged off). */
  get liveSessions(): number {
    return this.signatures.size;
  }

  private handle(method: string, path: string, auth: string | undefined, body: unknown): [number, unknown] {
    if (path === '/axapi/v3/auth' && method === 'POST') {
      const c = (body as { credentials?: { username?: unknown; password?: unknown } } | undefined)?.credentials;
      if (!c || typeof c.username !== 'string' || typeof c.password !== 'string') return [400, fail(1023, 'credentials: username and password required')];
      if (c.username !== this.username || c.password !== this.password) return [403, fail(520749062, 'Invalid username/password')];
      const signature = randomBytes(16).toString('hex');
      this.signatures.add(signature);
      return [200, { authresponse: { signature, description: 'the signature should be set in Authorization header for following request.' } }];
    }
    const m = /^A10 ([0-9a-f]+)$/.exec(auth ?? '');
    if (!m || !this.signatures.has(m[1])) return [401, fail(1009, 'Invalid session ID or session expired')];
    if (path === '/axapi/v3/logoff' && method === 'POST') {
      this.signatures.delete(m[1]);
      return [200, { response: { status: 'OK' } }];
    }
    const partition = /^\/axapi\/v3\/active-partition\/([^/]+)$/.exec(path);
    if (partition && method === 'POST') {
      const name = decodeURIComponent(partition[1]);
      if (!this.partitions.includes(name)) return [404, fail(1043, `Partition ${name} does not exist`)];
      this.state.partition = name;
      return [200, ok()];
    }
    if (path === '/axapi/v3/version/oper' && method === 'GET') return [200, { version: { oper: { 'hw-platform': 'vThunder', 'sw-version': '6.0.4 build 17 (double)' } } }];
    if (path === '/axapi/v3/cgnv6/translation' && method === 'POST') {
      const t = (body as { translation?: Record<string, unknown> } | undefined)?.translation;
      if (!t || typeof t !== 'object') return [400, fail(1023, 'translation: object required')];
      for (const [k, v] of Object.entries(t)) {
        if (k === 'udp-timeout' || k === 'tcp-timeout') {
          if (typeof v !== 'number' || !Number.isInteger(v)) return [400, fail(1023, `${k}: integer required`)];
          // ACOS documents 2-15000 s for udp-timeout and 60-15000 s for tcp-timeout.
          const [lo, hi] = k === 'udp-timeout' ? [2, 15000] : [60, 15000];
          if (v < lo || v > hi) return [400, fail(1023, `${k}: value ${v} out of range ${lo}-${hi}`)];
        } else if (k === 'icmp-timeout') {
          const val = (v as Record<string, unknown>)['icmp-timeout-val'];
          if (typeof val !== 'number' || val < 1 || val > 15000) return [400, fail(1023, 'icmp-timeout.icmp-timeout-val: integer 1-15000 required')];
        } else return [400, fail(1023, `translation: unknown field ${k}`)];
      }
      Object.assign(this.state.translation, t);
      return [200, ok()];
    }
    if (path === '/axapi/v3/cgnv6/lsn/endpoint-independent-mapping' && method === 'POST') {
      const e = (body as Record<string, unknown> | undefined)?.['endpoint-independent-mapping'] as Record<string, unknown> | undefined;
      if (!e || (e.udp !== 1 && e.tcp !== 1)) return [400, fail(1023, 'endpoint-independent-mapping: udp or tcp required')];
      this.state.eim = e;
      return [200, ok()];
    }
    if (path === '/axapi/v3/cgnv6/lsn/endpoint-independent-filtering' && method === 'POST') {
      const e = (body as Record<string, unknown> | undefined)?.['endpoint-independent-filtering'] as Record<string, { 'session-limit'?: unknown }> | undefined;
      if (!e || !['udp', 'tcp'].some((p) => e[p] !== undefined)) return [400, fail(1023, 'endpoint-independent-filtering: udp or tcp required')];
      for (const p of ['udp', 'tcp']) {
        const lim = e[p]?.['session-limit'];
        if (e[p] !== undefined && (typeof lim !== 'number' || lim < 1 || lim > 65535)) return [400, fail(1023, `endpoint-independent-filtering.${p}.session-limit: 1-65535 required`)];
      }
      this.state.eif = e;
      return [200, ok()];
    }
    if (path === '/axapi/v3/cgnv6/nat64/prefix' && method === 'POST') {
      const p = (body as { prefix?: { 'prefix-val'?: unknown } } | undefined)?.prefix?.['prefix-val'];
      if (typeof p !== 'string' || !/^[0-9a-f:]+\/(32|40|48|56|64|96)$/i.test(p)) return [400, fail(1023, 'prefix.prefix-val: IPv6 prefix of length 32, 40, 48, 56, 64 or 96 required')];
      if (!this.state.prefixes.includes(p)) this.state.prefixes.push(p);
      return [200, ok()];
    }
    const delPrefix = /^\/axapi\/v3\/cgnv6\/nat64\/prefix\/(.+)$/.exec(path);
    if (delPrefix && method === 'DELETE') {
      const p = decodeURIComponent(delPrefix[1]);
      if (!this.state.prefixes.includes(p)) return [404, fail(1023, `prefix ${p} not found`)];
      this.state.prefixes = this.state.prefixes.filter((x) => x !== p);
      return [200, ok()];
    }
    if (path === '/axapi/v3/clear/cgnv6/nat64/session' && method === 'POST') {
      if ((body as { session?: { all?: unknown } } | undefined)?.session?.all !== 1) return [400, fail(1023, 'session.all: 1 required')];
      this.state.sessions = [];
      this.state.cleared++;
      return [200, ok()];
    }
    if (path === '/axapi/v3/cgnv6/nat64/session/oper' && method === 'GET') return [200, { session: { oper: { 'session-list': this.state.sessions } } }];
    if (path === '/axapi/v3/cgnv6/nat64/global/stats' && method === 'GET') return [200, { global: { stats: this.state.stats } }];
    return [404, fail(1023, `Object specified does not exist: ${method} ${path}`)];
  }
}

function ok(): unknown {
  return { response: { status: 'OK' } };
}

function fail(code: number, msg: string): unknown {
  return { response: { status: 'fail', err: { code, from: 'CM', msg } } };
}
