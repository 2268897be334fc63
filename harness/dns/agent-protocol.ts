/**
 * The messages between the DNS lab (in the harness process) and its agent
 * (inside the DNS namespace), one JSON object per line. The agent must live
 * in the namespace because the resolvers there can reach only its loopback;
 * wire bytes travel as base64 so the line format stays plain JSON.
 */
import type { DnsTransport } from './types';

export type AgentRequest =
  | { id: number; op: 'ping' }
  /** Stop or resume reporting upstream queries (a benchmark would drown the line in them). */
  | { id: number; op: 'stream'; on: boolean }
  | {
      id: number;
      op: 'query';
      server: { address: string; port: number };
      transport: DnsTransport;
      /** Source address inside the namespace (any 127.0.0.0/8 address). */
      source: string;
      /** Query bytes, base64. */
      bytes: string;
      timeoutMs: number;
    };

export type AgentMessage =
  /** The authority is listening and has answered a query of its own. */
  | { event: 'ready' }
  /** The agent cannot run; the line is the reason. */
  | { event: 'fatal'; message: string }
  /** A query the authority received. */
  | { event: 'upstream'; timeUs: number; transport: DnsTransport; from: { address: string; port: number }; bytes: string }
  | { id: number; ok: true }
  | { id: number; ok: true; reply: { bytes?: string; timeUs: number } }
  | { id: number; ok: false; error: string };

/** Wall-clock microseconds; both processes use it, so agent and lab times compare. */
export function wallUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
