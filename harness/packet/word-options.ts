/**
 * The option format IPv4 (RFC 791 §3.1) and TCP (RFC 9293 §3.1) share: a
 * code octet, then — except for End of List (0) and No-Operation (1) — a
 * length octet counting both, then data; the list is padded to a 32-bit
 * word. Each header names the code differently (`type`, `kind`); both map
 * onto this one implementation.
 */

export interface WordOption {
  code: number;
  data?: Buffer;
  /** Length octet as sent; data.length + 2 when left out. */
  length?: number;
  /** Only the code octet is there (it was the last octet of the header). */
  bare?: boolean;
}

/** Option bytes, padded with EOL to a word boundary unless `pad` is false (the caller fixed the header length). */
export function encodeWordOptions(options: readonly WordOption[], pad: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const o of options) {
    if (o.code === 0 || o.code === 1 || o.bare) {
      parts.push(Buffer.from([o.code & 0xff]));
      continue;
    }
    const data = o.data ?? Buffer.alloc(0);
    parts.push(Buffer.from([o.code & 0xff, (o.length ?? data.length + 2) & 0xff]), data);
  }
  const raw = Buffer.concat(parts);
  if (!pad) return raw;
  const padded = Buffer.alloc(Math.ceil(raw.length / 4) * 4);
  raw.copy(padded);
  return padded;
}

/** Options in [start, end); a malformed one ends the list with a note (the rest of the bytes stay in its data). */
export function decodeWordOptions(buf: Buffer, start: number, end: number, notes: string[], layer: string): WordOption[] {
  const out: WordOption[] = [];
  let i = start;
  while (i < end) {
    const code = buf[i];
    if (code === 0 || code === 1) {
      out.push({ code });
      i++;
      continue;
    }
    if (i + 1 >= end) {
      notes.push(`${layer}: option ${code} at offset ${i - start} has no length octet`);
      out.push({ code, bare: true });
      break;
    }
    const length = buf[i + 1];
    if (length < 2 || i + length > end) {
      notes.push(`${layer}: option ${code} length ${length} does not fit the ${end - i} remaining option octets`);
      out.push({ code, length, data: Buffer.from(buf.subarray(i + 2, end)) });
      break;
    }
    out.push({ code, length, data: Buffer.from(buf.subarray(i + 2, i + length)) });
    i += length;
  }
  return out;
}
