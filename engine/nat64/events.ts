/**
 * The engine's event log: what an operator's log collector would receive.
 * Mapping creation and deletion (inside address/port, outside address/port,
 * protocol, time — RFC 6888 REQ-12: no destination address or port), the
 * refusals of RFC 6888 REQ-11c (a notification when a mapping cannot be
 * created), and the RFC 7422 §2/§3 records (dynamic port blocks, the
 * deterministic configuration). Bounded (65536 to 131072 entries): the
 * oldest go first. Notifications are always on (REQ-11c "if configured").
 */
import type { Clock, EngineEvent } from '../api';
import type { Bib, Session } from './tables';

const MAX_EVENTS = 65536;

export class EventLog {
  private readonly list: EngineEvent[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly faults: ReadonlySet<string>,
  ) {}

  add(type: EngineEvent['type'], fields: Record<string, string | number>, what: string): void {
    const time = this.clock.now();
    const text = `[${new Date(time).toUTCString()}] ${type} ${what}`;
    this.list.push({ time, type, fields, text });
    // Trimmed in chunks so a flood costs O(1) per event.
    if (this.list.length >= 2 * MAX_EVENTS) this.list.splice(0, this.list.length - MAX_EVENTS);
  }

  all(): EngineEvent[] {
    return this.list.map((e) => ({ ...e, fields: { ...e.fields } }));
  }

  /** A dynamic BIB entry was created or deleted: inside and outside transport address only. */
  mapping(kind: 'created' | 'deleted', b: Bib): void {
    if (b.isStatic) return;
    const fields = { protocol: b.proto, insideAddress: b.v6, insidePort: b.v6port, outsideAddress: b.v4, outsidePort: b.v4port };
    this.add(kind === 'created' ? 'mapping-created' : 'mapping-deleted', fields, `${b.proto} [${b.v6}]:${b.v6port} <-> ${b.v4}:${b.v4port}`);
  }

  /** FAULT log-destination: every session is logged with its destination (RFC 6888 REQ-12 says not to). */
  session(s: Session): void {
    if (!this.faults.has('log-destination') || !s.bib) return;
    const b = s.bib;
    const fields = { protocol: b.proto, insideAddress: b.v6, insidePort: b.v6port, outsideAddress: b.v4, outsidePort: b.v4port, destinationAddress: s.z4, destinationPort: s.rport };
    this.add('session-created', fields, `${b.proto} [${b.v6}]:${b.v6port} <-> ${b.v4}:${b.v4port} -> ${s.z4}:${s.rport}`);
  }

  /** RFC 6888 REQ-11c: a mapping could not be created (quota or resource shortage). */
  refused(protocol: string, src: string, sport: number, reason: string): void {
    // FAULT refusal-not-notified: no notification when a mapping is refused.
    if (this.faults.has('refusal-not-notified')) return;
    this.add('mapping-refused', { protocol, insideAddress: src, insidePort: sport, reason }, `${protocol} [${src}]:${sport}: ${reason}`);
  }
}
