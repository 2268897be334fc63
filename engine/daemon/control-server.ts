/**
 * The control socket: a unix stream server speaking JSON lines. Requests on
 * one connection are answered one at a time, in order; a malformed line gets
 * an error answer and the connection stays usable.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { ControlReply, ControlRequest } from './protocol';
import { CONTROL_COMMANDS } from './protocol';

export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

/** Longest request line accepted; a configuration is a few KiB. */
const MAX_LINE = 1 << 20;

function parseRequest(line: string): ControlRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new Error('request is not JSON; send one object per line, e.g. {"cmd":"state"}');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('request is not an object; send e.g. {"cmd":"state"}');
  const cmd = (raw as { cmd?: unknown }).cmd;
  if (typeof cmd !== 'string' || !(CONTROL_COMMANDS as readonly string[]).includes(cmd)) {
    throw new Error(`cmd ${JSON.stringify(cmd)} is unknown; use one of ${CONTROL_COMMANDS.join(', ')}`);
  }
  return raw as ControlRequest;
}

function idOf(line: string): ControlReply['id'] {
  try {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    return typeof id === 'string' || typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}

function serveConnection(sock: net.Socket, handler: ControlHandler): void {
  let buffered = '';
  let chain = Promise.resolve();
  const answer = (reply: ControlReply) => {
    if (!sock.destroyed) sock.write(JSON.stringify(reply) + '\n');
  };
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buffered += chunk;
    if (buffered.length > MAX_LINE && !buffered.includes('\n')) {
      answer({ error: `request longer than ${MAX_LINE} bytes without a newline; send one JSON object per line` });
      sock.destroy();
      return;
    }
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      chain = chain.then(async () => {
        const id = idOf(line);
        try {
          const result = await handler(parseRequest(line));
          answer({ ...(id !== undefined ? { id } : {}), result });
        } catch (err) {
          answer({ ...(id !== undefined ? { id } : {}), error: (err as Error).message.split('\n')[0] });
        }
      });
    }
  });
  sock.on('error', () => undefined);
}

/** Whether something is listening on the unix socket at `p`. */
function listening(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(p);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/**
 * Listens on `socketPath` (creating its folder); a stale socket file from a
 * daemon that died is replaced, a live one is an error.
 */
export interface ControlServer {
  /** Stops listening, drops open connections and removes the socket file. */
  close(): Promise<void>;
}

export async function serveControl(socketPath: string, handler: ControlHandler): Promise<ControlServer> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o755 });
  if (fs.existsSync(socketPath)) {
    if (await listening(socketPath)) throw new Error(`${socketPath}: another daemon answers there; stop it or give --control another path`);
    fs.unlinkSync(socketPath);
  }
  const open = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    open.add(sock);
    sock.once('close', () => open.delete(sock));
    serveConnection(sock, handler);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Only root (the daemon's owner) may reconfigure it.
  fs.chmodSync(socketPath, 0o600);
  return {
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      // end() lets a last answer (to `stop`) reach the client; a peer that never closes is cut off.
      for (const s of open) {
        s.end();
        setTimeout(() => s.destroy(), 500).unref();
      }
      await closed;
      try {
        fs.unlinkSync(socketPath);
      } catch {
        /* removed already */
      }
    },
  };
}
