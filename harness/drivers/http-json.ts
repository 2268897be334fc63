/**
 * A small JSON-over-HTTP(S) client for management APIs: node:http/https so
 * a self-signed certificate can be accepted per request (lab appliances
 * usually have one) without a dependency. Every failure is one line naming
 * the method and path.
 */
import * as http from 'http';
import * as https from 'https';

export interface JsonResponse {
  status: number;
  body: unknown;
  /** The raw text, for error messages when the body is not JSON. */
  text: string;
}

export interface JsonRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export class HttpFailure extends Error {}

export function requestJson(base: string, req: JsonRequest, opts: { insecureTls: boolean; timeoutMs: number }): Promise<JsonResponse> {
  const url = new URL(req.path, base);
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const r = lib.request(
      url,
      {
        method: req.method,
        headers: {
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
          ...(req.headers ?? {}),
        },
        timeout: opts.timeoutMs,
        ...(url.protocol === 'https:' ? { rejectUnauthorized: !opts.insecureTls } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
        res.on('error', (e) => reject(new HttpFailure(`${req.method} ${url.pathname}: ${e.message}`)));
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    r.on('error', (e: NodeJS.ErrnoException) => {
      const tls = /certificate|self.signed/i.test(e.message) ? '; set "insecureTls": true for a self-signed lab certificate' : '';
      reject(new HttpFailure(`${req.method} ${url.origin}${url.pathname}: ${e.code ?? e.message}${tls}`));
    });
    r.end(payload);
  });
}
