/**
 * Field-by-field comparison of an expected packet with an observed (decoded)
 * one, the way a conformance lab needs it: every check is made on a named
 * field path (`ipv4.ttl`, `icmpv6.quote.udp.checksum`, `ipv6.extensions.0.kind`)
 * with an explicit rule, never on a byte offset.
 *
 * An `Expectation` is shaped like a `Packet` (deep partial). Its leaves are
 * either plain values (exact match: numbers, strings and booleans strictly,
 * Buffers by bytes) or `Tolerance`s built with the `T` namespace. Fields that
 * the expectation does not name are not checked.
 *
 * Structure rules:
 *  - An object in the expectation (a layer, a quote, an extension header)
 *    requires an object at that path in the observed packet. When it is
 *    missing (or not an object) the result is one failing entry with rule
 *    `present` at that path, and nothing below it is checked.
 *  - An array in the expectation requires an array of the same length: one
 *    entry `<path>.length` (rule `length`) and then its elements compared one
 *    by one at `<path>.<i>`. `T.arrayPrefix([...])` requires at least that many
 *    elements (rule `array-prefix`) and compares only the first ones.
 *  - `undefined` in the expectation checks nothing.
 *
 * `compare` never throws on odd observed packets: a missing layer, field or
 * quote is a mismatch, as is a value of the wrong type.
 */
import { Packet } from './types';
import { expectedChecksums } from './codec';
import { internetChecksum } from './checksum';

// ---------------------------------------------------------------------------
// Results

/** The rule a result was checked with. */
export type Rule =
  | 'exact'
  | 'any'
  | 'absent'
  | 'ignore'
  | 'one-of'
  | 'range'
  | 'decremented'
  | 'valid-checksum'
  | 'custom'
  | 'buffer-prefix'
  | 'length-range'
  /** Structural: an object the expectation descends into is missing or not an object. */
  | 'present'
  /** Structural: an expected array has a different length (or is missing). */
  | 'length'
  /** Structural: an array expected with `T.arrayPrefix` is shorter than the prefix (or missing). */
  | 'array-prefix';

export interface FieldResult {
  /** Field path, dot-separated, array indexes as numbers: `ipv6.extensions.0.kind`. */
  path: string;
  /** The rule in words, e.g. "63 (decremented by exactly 1 from 64)". */
  expected: string;
  /** The observed value rendered readably; "(absent)" when missing. */
  observed: string;
  ok: boolean;
  rule: Rule;
  /** Why it failed (or passed by allowance), where the rule has more to say. */
  note?: string;
}

/** Layers whose checksum `expectedChecksums` reports. */
export type ChecksumLayer = 'ipv4' | 'udp' | 'tcp' | 'icmpv4' | 'icmpv6';
const CHECKSUM_LAYERS: readonly string[] = ['ipv4', 'udp', 'tcp', 'icmpv4', 'icmpv6'];

export interface CompareOptions {
  /**
   * Replaces `expectedChecksums` from ./codec for `T.validChecksum` (for
   * tests, or to check against another reference implementation).
   */
  checksums?: (p: Packet) => Partial<Record<ChecksumLayer, number>>;
}

/** What a `T.matches` predicate is given besides the observed value. */
export interface MatchContext {
  /** Path of the field being checked. */
  path: string;
  /** The whole observed packet (the top level, also for fields inside quotes). */
  packet: unknown;
}

interface CheckContext {
  root: unknown;
  segments: readonly string[];
  path: string;
  options: CompareOptions;
}

interface Verdict {
  ok: boolean;
  expected: string;
  note?: string;
  /** Replaces the default rendering of the observed value. */
  observed?: string;
}

// ---------------------------------------------------------------------------
// Tolerances

const TOLERANCE_BRAND = Symbol.for('nat64lab.compare.tolerance');

/** A named rule for one leaf of an expectation. Build them with `T`. */
export class Tolerance {
  readonly [TOLERANCE_BRAND] = true;
  constructor(
    readonly rule: Rule,
    /** The rule in words, independent of the observed packet. */
    readonly description: string,
    private readonly checker: (observed: unknown, ctx: CheckContext) => Verdict,
  ) {}

  /** @internal */
  evaluate(observed: unknown, ctx: CheckContext): FieldResult {
    let verdict: Verdict;
    try {
      verdict = this.checker(observed, ctx);
    } catch (e) {
      verdict = { ok: false, expected: this.description, note: `rule failed: ${errorText(e)}` };
    }
    const r: FieldResult = {
      path: ctx.path,
      expected: verdict.expected,
      observed: verdict.observed ?? renderValue(observed, ctx.segments),
      ok: verdict.ok,
      rule: this.rule,
    };
    if (verdict.note !== undefined) r.note = verdict.note;
    return r;
  }

  toString(): string {
    return this.description;
  }
}

/** An expected array of which only the first elements are given (more may follow). */
export class ArrayPrefix<E> {
  constructor(readonly items: readonly E[]) {}
}

export interface ValidChecksumOptions {
  /**
   * Pass when `expectedChecksums` cannot compute the value (e.g. a truncated
   * quote). A path the rule does not apply to, or a checksum routine that
   * throws, still fails.
   */
  allowUncomputable?: boolean;
  /** Accept 0 for a UDP checksum over IPv4 ("no checksum", RFC 768). */
  allowZero?: boolean;
}

function isTolerance(v: unknown): v is Tolerance {
  return v instanceof Tolerance || (typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[TOLERANCE_BRAND] === true);
}

/** Builders of tolerances, the leaves of an expectation that are not exact values. */
export const T = {
  /** The field must be present, with any value. */
  any(): Tolerance {
    return new Tolerance('any', 'present (any value)', (obs) => ({ ok: !isAbsent(obs), expected: 'present (any value)' }));
  },

  /** The field or layer must be absent. */
  absent(): Tolerance {
    return new Tolerance('absent', '(absent)', (obs) => ({ ok: isAbsent(obs), expected: '(absent)' }));
  },

  /** Not checked; listed in the results (always ok) so that reports show the observed value. */
  ignore(): Tolerance {
    return new Tolerance('ignore', '(ignored)', () => ({ ok: true, expected: '(ignored)' }));
  },

  /** Exactly one of these values (each compared like an exact leaf). */
  oneOf<V>(values: readonly V[]): Tolerance {
    const list = [...values];
    const describe = (segs: readonly string[]): string =>
      list.length === 0 ? 'one of (nothing)' : `one of ${list.map((v) => renderValue(v, segs)).join(', ')}`;
    return new Tolerance('one-of', describe([]), (obs, ctx) => ({
      ok: !isAbsent(obs) && list.some((v) => exactEqual(v, obs)),
      expected: describe(ctx.segments),
    }));
  },

  /** A number from min to max, both included. */
  range(min: number, max: number): Tolerance {
    const describe = (segs: readonly string[]): string =>
      `between ${renderValue(min, segs)} and ${renderValue(max, segs)} inclusive`;
    return new Tolerance('range', describe([]), (obs, ctx) => {
      const v: Verdict = { ok: typeof obs === 'number' && obs >= min && obs <= max, expected: describe(ctx.segments) };
      if (!isAbsent(obs) && typeof obs !== 'number') v.note = `not a number (${typeof obs})`;
      return v;
    });
  },

  /** Exactly `from - n`, e.g. a TTL or Hop Limit after one hop: `T.decrementedBy(1, 64)`. */
  decrementedBy(n: number, from: number): Tolerance {
    const describe = (segs: readonly string[]): string =>
      `${renderValue(from - n, segs)} (decremented by exactly ${n} from ${renderValue(from, segs)})`;
    return new Tolerance('decremented', describe([]), (obs, ctx) => {
      const v: Verdict = { ok: typeof obs === 'number' && obs === from - n, expected: describe(ctx.segments) };
      if (typeof obs === 'number' && obs === from) v.note = 'not decremented';
      else if (typeof obs === 'number' && obs > from) v.note = `increased by ${obs - from}`;
      else if (typeof obs === 'number' && obs !== from - n) v.note = `decremented by ${from - obs}`;
      return v;
    });
  },

  /**
   * The checksum field carries the value `expectedChecksums` computes for its
   * layer. The layer is the path segment before `checksum` (ipv4, udp, tcp,
   * icmpv4, icmpv6); inside a quote (`icmpv6.quote.udp.checksum`) the quoted
   * packet is the one checksummed. `icmpv4.extensions.checksum` /
   * `icmpv6.extensions.checksum` (RFC 4884) are computed here from the
   * extension structure.
   */
  validChecksum(opts: ValidChecksumOptions = {}): Tolerance {
    const allowUncomputable = opts.allowUncomputable === true;
    const allowZero = opts.allowZero === true;
    const base = allowZero ? 'valid checksum (or 0 for UDP over IPv4)' : 'valid checksum';
    return new Tolerance('valid-checksum', base, (obs, ctx) => checkChecksum(obs, ctx, allowUncomputable, allowZero));
  },

  /** A custom named rule: `predicate(observed)` must return true. The description is shown as the expectation. */
  matches<V = unknown>(predicate: (observed: V, ctx: MatchContext) => boolean, description: string): Tolerance {
    return new Tolerance('custom', description, (obs, ctx) => {
      try {
        return { ok: predicate(obs as V, { path: ctx.path, packet: ctx.root }) === true, expected: description };
      } catch (e) {
        return { ok: false, expected: description, note: `predicate threw: ${errorText(e)}` };
      }
    });
  },

  /** Bytes that start with `prefix` (for truncated payloads and quotes). */
  bufferPrefix(prefix: Uint8Array): Tolerance {
    const want = Buffer.from(prefix);
    const describe = `starts with ${renderBytes(want)} (${want.length} byte${want.length === 1 ? '' : 's'})`;
    return new Tolerance('buffer-prefix', describe, (obs) => {
      const got = asBytes(obs);
      if (got === undefined) {
        return { ok: false, expected: describe, note: isAbsent(obs) ? undefined : 'not bytes' };
      }
      if (got.length >= want.length && got.subarray(0, want.length).equals(want)) return { ok: true, expected: describe };
      const diff = firstDifference(want, got);
      const note =
        diff < want.length && diff < got.length
          ? `first difference at byte ${diff}`
          : `only ${got.length} byte${got.length === 1 ? '' : 's'}`;
      return { ok: false, expected: describe, note };
    });
  },

  /** Bytes (or an array, or a string) whose length is from min to max, both included. */
  lengthRange(min: number, max: number = Infinity): Tolerance {
    const describe = max === Infinity ? `length at least ${min}` : min === max ? `length ${min}` : `length between ${min} and ${max}`;
    return new Tolerance('length-range', describe, (obs) => {
      const len = lengthOf(obs);
      if (len === undefined) return { ok: false, expected: describe, note: isAbsent(obs) ? undefined : 'has no length' };
      return { ok: len >= min && len <= max, expected: describe, observed: `length ${len}` };
    });
  },

  /** An array whose first elements are these (compared as usual); more may follow. */
  arrayPrefix<E>(items: readonly E[]): ArrayPrefix<E> {
    return new ArrayPrefix(items);
  },
};

// ---------------------------------------------------------------------------
// Expectation type

/** Deep partial of `V` whose leaves may also be tolerances. */
export type Expect<V> = V extends Uint8Array
  ? Uint8Array | Tolerance
  : V extends readonly (infer E)[]
    ? ReadonlyArray<Expect<E> | undefined> | ArrayPrefix<Expect<E>> | Tolerance
    : V extends object
      ? { [K in keyof V]?: Expect<NonNullable<V[K]>> } | Tolerance
      : V | Tolerance;

/** What a packet is expected to look like. */
export type Expectation = { [K in keyof Packet]?: Expect<NonNullable<Packet[K]>> };

// ---------------------------------------------------------------------------
// Comparison

/**
 * Compare `expected` with `observed`: one result per checked leaf (and per
 * structural check), depth-first in the expectation's key order.
 */
export function compare(expected: Expectation, observed: unknown, options: CompareOptions = {}): FieldResult[] {
  const out: FieldResult[] = [];
  const root = isRecord(observed) ? observed : {};
  try {
    walk(expected, root, [], root, options, out);
  } catch (e) {
    // Only reachable on a pathological expectation (e.g. a cycle); keep the promise not to throw.
    out.push({ path: '(packet)', expected: 'a comparable expectation', observed: '(not compared)', ok: false, rule: 'exact', note: errorText(e) });
  }
  return out;
}

/** The failing results of `compare`. */
export function mismatches(expected: Expectation, observed: unknown, options: CompareOptions = {}): FieldResult[] {
  return compare(expected, observed, options).filter((r) => !r.ok);
}

/** One result as a line: `ipv4.ttl: expected 63 (decremented by exactly 1 from 64), observed 64`. */
export function formatResult(r: FieldResult): string {
  return `${r.path}: expected ${r.expected}, observed ${r.observed}${r.note ? ` — ${r.note}` : ''}`;
}

/** The failing results of `list` (passing ones are skipped), one line each, joined with "\n". */
export function formatMismatches(list: readonly FieldResult[]): string {
  return list
    .filter((r) => !r.ok)
    .map(formatResult)
    .join('\n');
}

function walk(exp: unknown, obs: unknown, segs: string[], root: unknown, options: CompareOptions, out: FieldResult[]): void {
  if (exp === undefined) return;
  const path = pathText(segs);
  if (isTolerance(exp)) {
    out.push(exp.evaluate(obs, { root, segments: segs, path, options }));
    return;
  }
  if (exp instanceof ArrayPrefix) {
    walkArray(exp.items, true, obs, segs, root, options, out);
    return;
  }
  if (Array.isArray(exp)) {
    walkArray(exp, false, obs, segs, root, options, out);
    return;
  }
  if (isRecord(exp)) {
    if (!isRecord(obs)) {
      const r: FieldResult = { path, expected: 'present', observed: renderValue(obs, segs), ok: false, rule: 'present' };
      if (!isAbsent(obs)) r.note = 'not an object';
      out.push(r);
      return;
    }
    for (const key of Object.keys(exp)) {
      walk(exp[key], own(obs, key), [...segs, key], root, options, out);
    }
    return;
  }
  out.push(exactResult(exp, obs, segs, path));
}

function walkArray(
  items: readonly unknown[],
  prefix: boolean,
  obs: unknown,
  segs: string[],
  root: unknown,
  options: CompareOptions,
  out: FieldResult[],
): void {
  const n = items.length;
  const rule: Rule = prefix ? 'array-prefix' : 'length';
  const expected = prefix ? `at least ${n}` : `${n}`;
  const lengthPath = pathText([...segs, 'length']);
  if (!Array.isArray(obs)) {
    const r: FieldResult = { path: lengthPath, expected, observed: '(absent)', ok: false, rule };
    if (!isAbsent(obs)) {
      r.observed = `not an array: ${renderValue(obs, segs)}`;
    }
    out.push(r);
    return;
  }
  out.push({ path: lengthPath, expected, observed: String(obs.length), ok: prefix ? obs.length >= n : obs.length === n, rule });
  for (let i = 0; i < n; i++) {
    walk(items[i], i < obs.length ? obs[i] : undefined, [...segs, String(i)], root, options, out);
  }
}

function exactResult(exp: unknown, obs: unknown, segs: readonly string[], path: string): FieldResult {
  const ok = exactEqual(exp, obs);
  const r: FieldResult = { path, expected: renderValue(exp, segs), observed: renderValue(obs, segs), ok, rule: 'exact' };
  if (!ok && !isAbsent(obs)) {
    const e = asBytes(exp);
    const o = asBytes(obs);
    if (e !== undefined && o !== undefined) {
      const d = firstDifference(e, o);
      r.note =
        d < e.length && d < o.length
          ? `first difference at byte ${d}${e.length !== o.length ? `, ${e.length} vs ${o.length} bytes` : ''}`
          : `${e.length} vs ${o.length} bytes`;
    } else if (typeOf(exp) !== typeOf(obs)) {
      r.note = `type differs: expected ${typeOf(exp)}, observed ${typeOf(obs)}`;
    }
  }
  return r;
}

function exactEqual(exp: unknown, obs: unknown): boolean {
  const e = asBytes(exp);
  if (e !== undefined) {
    const o = asBytes(obs);
    return o !== undefined && e.equals(o);
  }
  if (typeof exp === 'number' && typeof obs === 'number' && Number.isNaN(exp)) return Number.isNaN(obs);
  return exp === obs;
}

// ---------------------------------------------------------------------------
// Checksums

function checkChecksum(obs: unknown, ctx: CheckContext, allowUncomputable: boolean, allowZero: boolean): Verdict {
  const segs = ctx.segments;
  const last = segs[segs.length - 1];
  const layer = segs[segs.length - 2];
  if (last !== 'checksum' || layer === undefined) {
    return { ok: false, expected: 'valid checksum', note: `valid-checksum does not apply to ${ctx.path} (not a <layer>.checksum path)` };
  }

  let value: number | undefined;
  let reason: string | undefined;
  let hard = false; // not excused by allowUncomputable
  let zeroAllowed = false;

  if (layer === 'extensions' && (segs[segs.length - 3] === 'icmpv4' || segs[segs.length - 3] === 'icmpv6')) {
    const ext = getPath(ctx.root, segs.slice(0, -1));
    const c = extensionChecksum(ext);
    if (typeof c === 'number') value = c;
    else reason = `the RFC 4884 extension structure at ${pathText(segs.slice(0, -1))} cannot be checksummed: ${c.reason}`;
  } else if (CHECKSUM_LAYERS.includes(layer)) {
    const packetSegs = segs.slice(0, -2);
    const where = packetSegs.length === 0 ? 'the packet' : `the packet at ${pathText(packetSegs)}`;
    const packet = packetSegs.length === 0 ? ctx.root : getPath(ctx.root, packetSegs);
    if (!isRecord(packet)) {
      reason = `${where} is not a packet`;
      hard = true;
    } else {
      const fn = ctx.options.checksums ?? expectedChecksums;
      let sums: Partial<Record<string, number>> | undefined;
      try {
        sums = fn(packet as Packet);
      } catch (e) {
        reason = `computing the checksums of ${where} failed: ${errorText(e)}`;
        hard = true;
      }
      if (sums !== undefined) {
        const v = isRecord(sums) ? sums[layer] : undefined;
        if (typeof v === 'number') value = v;
        else {
          reason = `the ${layer} checksum of ${where} cannot be computed (truncated or incomplete)`;
          const notes = own(packet, 'notes');
          if (Array.isArray(notes) && notes.length > 0) {
            reason += `; decode notes: ${notes.slice(0, 3).map(String).join('; ')}${notes.length > 3 ? '; …' : ''}`;
          }
        }
      }
      zeroAllowed = allowZero && layer === 'udp' && isRecord(own(packet, 'ipv4'));
    }
  } else {
    return {
      ok: false,
      expected: 'valid checksum',
      note: `valid-checksum does not apply to ${ctx.path} (${layer} is not one of ${CHECKSUM_LAYERS.join(', ')}, or an ICMP extension structure)`,
    };
  }

  if (isAbsent(obs)) {
    return { ok: false, expected: value === undefined ? 'valid checksum' : `valid checksum ${renderValue(value, segs)}`, note: reason };
  }
  if (value === undefined) {
    if (allowUncomputable && !hard) return { ok: true, expected: 'valid checksum (not computable, allowed)', note: reason };
    return { ok: false, expected: 'valid checksum (not computable)', note: reason };
  }
  const expected = `valid checksum ${renderValue(value, segs)}${zeroAllowed ? ' or 0 (no checksum, RFC 768)' : ''}`;
  if (obs === value || (zeroAllowed && obs === 0)) return { ok: true, expected };
  const v: Verdict = { ok: false, expected };
  if (typeof obs !== 'number') v.note = `not a number (${typeOf(obs)})`;
  else if ((obs === 0xffff && value === 0) || (obs === 0 && value === 0xffff)) {
    v.note = '0x0000 and 0xffff are the same in one\'s complement (RFC 1624), but the field must carry the computed form';
  }
  return v;
}

/** RFC 4884 §7 extension structure checksum, recomputed from its decoded fields. */
function extensionChecksum(ext: unknown): number | { reason: string } {
  if (!isRecord(ext)) return { reason: 'missing' };
  const objects = own(ext, 'objects');
  if (!Array.isArray(objects)) return { reason: 'no objects array' };
  const version = numberOr(own(ext, 'version'), 2);
  const reserved = numberOr(own(ext, 'reserved'), 0);
  const parts: Buffer[] = [Buffer.from([((version & 0xf) << 4) | ((reserved >>> 8) & 0xf), reserved & 0xff, 0, 0])];
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i];
    if (!isRecord(o)) return { reason: `object ${i} is not an object` };
    const data = asBytes(own(o, 'data'));
    if (data === undefined) return { reason: `object ${i} has no data bytes` };
    const head = Buffer.alloc(4);
    head.writeUInt16BE(numberOr(own(o, 'length'), data.length + 4) & 0xffff, 0);
    head[2] = numberOr(own(o, 'classNum'), 0) & 0xff;
    head[3] = numberOr(own(o, 'cType'), 0) & 0xff;
    parts.push(head, data);
  }
  return internetChecksum(Buffer.concat(parts));
}

// ---------------------------------------------------------------------------
// Paths

/** The value at `path` (dot-separated string or segments) or undefined. Never throws. */
export function getPath(packet: unknown, path: string | readonly string[]): unknown {
  const segs = typeof path === 'string' ? (path === '' ? [] : path.split('.')) : path;
  let cur: unknown = packet;
  for (const seg of segs) {
    if (Array.isArray(cur)) {
      if (seg === 'length') cur = cur.length;
      else if (/^\d+$/.test(seg)) cur = cur[Number(seg)];
      else return undefined;
    } else if (cur instanceof Uint8Array) {
      if (seg === 'length') cur = cur.length;
      else if (/^\d+$/.test(seg)) cur = cur[Number(seg)];
      else return undefined;
    } else if (isRecord(cur)) {
      cur = own(cur, seg);
    } else {
      return undefined;
    }
  }
  return cur;
}

export interface PathValue {
  path: string;
  value: unknown;
  /** The value rendered like observed values in results. */
  text: string;
}

/**
 * Every leaf of a packet with its path, depth-first in key order: numbers,
 * strings, booleans and byte buffers, plus empty arrays and objects. Fields
 * holding `undefined` are skipped.
 */
export function fieldPaths(packet: unknown): PathValue[] {
  const out: PathValue[] = [];
  const seen = new WeakSet<object>();
  const visit = (v: unknown, segs: string[]): void => {
    if (v === undefined) return;
    const leaf = (): void => {
      out.push({ path: segs.join('.'), value: v, text: renderValue(v, segs) });
    };
    if (asBytes(v) !== undefined || typeof v !== 'object' || v === null) return leaf();
    if (seen.has(v)) {
      out.push({ path: segs.join('.'), value: v, text: '(cycle)' });
      return;
    }
    seen.add(v);
    if (Array.isArray(v)) {
      if (v.length === 0) leaf();
      else v.forEach((e, i) => visit(e, [...segs, String(i)]));
    } else {
      const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
      if (keys.length === 0 && segs.length > 0) leaf();
      for (const k of keys) visit((v as Record<string, unknown>)[k], [...segs, k]);
    }
    seen.delete(v);
  };
  visit(packet, []);
  return out;
}

function pathText(segs: readonly string[]): string {
  return segs.length === 0 ? '(packet)' : segs.join('.');
}

// ---------------------------------------------------------------------------
// Rendering

/** Fields usually read in hex, with the minimum number of hex digits. */
const HEX_FIELDS: Record<string, number> = {
  checksum: 4,
  id: 4,
  tos: 2,
  trafficClass: 2,
  flowLabel: 5,
  rest: 8,
  unused: 2,
};

/** Bytes shown in full up to this length; longer ones are cut with "…(N bytes)". */
export const MAX_RENDERED_BYTES = 32;

/**
 * A value as text: numbers in decimal (plus hex for checksums, ids and
 * similar fields, chosen by the last path segment), bytes in hex (long ones
 * cut), booleans, strings as they are, a missing value as "(absent)".
 */
export function renderValue(v: unknown, path: string | readonly string[] = []): string {
  if (v === undefined) return '(absent)';
  if (v === null) return 'null';
  if (isTolerance(v)) return v.description;
  const bytes = asBytes(v);
  if (bytes !== undefined) return renderBytes(bytes);
  switch (typeof v) {
    case 'number': {
      const segs = typeof path === 'string' ? path.split('.') : path;
      const width = HEX_FIELDS[segs[segs.length - 1] ?? ''];
      if (width !== undefined && Number.isInteger(v) && v >= 0) {
        return `${v} (0x${v.toString(16).padStart(width, '0')})`;
      }
      return String(v);
    }
    case 'string':
      return v === '' ? '""' : v;
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'function':
      return '(function)';
    case 'symbol':
      return v.toString();
    default:
      break;
  }
  if (Array.isArray(v)) return `[${v.length} element${v.length === 1 ? '' : 's'}]`;
  if (v instanceof ArrayPrefix) return `[at least ${v.items.length} element${v.items.length === 1 ? '' : 's'}]`;
  if (isRecord(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    return `{${keys.join(', ')}}`;
  }
  return String(v);
}

function renderBytes(b: Uint8Array): string {
  if (b.length === 0) return '(empty)';
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (b.length <= MAX_RENDERED_BYTES) return buf.toString('hex');
  return `${buf.subarray(0, MAX_RENDERED_BYTES).toString('hex')}…(${b.length} bytes)`;
}

// ---------------------------------------------------------------------------
// Helpers

function isAbsent(v: unknown): boolean {
  return v === undefined || v === null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !isTolerance(v) && !(v instanceof ArrayPrefix) && !isJsonBuffer(v);
}

function own(obj: unknown, key: string): unknown {
  return isRecord(obj) && Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** A Buffer after a JSON round trip: `{ type: 'Buffer', data: [...] }`. */
function isJsonBuffer(v: unknown): v is { type: 'Buffer'; data: number[] } {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as { type?: unknown; data?: unknown };
  return o.type === 'Buffer' && Array.isArray(o.data) && Object.keys(v).length === 2 && o.data.every((x) => Number.isInteger(x) && x >= 0 && x <= 255);
}

function asBytes(v: unknown): Buffer | undefined {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (isJsonBuffer(v)) return Buffer.from(v.data);
  return undefined;
}

function lengthOf(v: unknown): number | undefined {
  const b = asBytes(v);
  if (b !== undefined) return b.length;
  if (Array.isArray(v) || typeof v === 'string') return v.length;
  return undefined;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

function numberOr(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

function typeOf(v: unknown): string {
  if (v === undefined) return 'absent';
  if (v === null) return 'null';
  if (asBytes(v) !== undefined) return 'bytes';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
