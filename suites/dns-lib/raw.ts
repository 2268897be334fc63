/**
 * The wire fields a decoder smooths over: per resource record its TYPE,
 * CLASS, TTL and RDLENGTH exactly as sent (RFC 1035 §4.1.3), so a check can
 * quote "RDLENGTH 16" from the bytes rather than from a decoded string.
 */

export interface RawRecord {
  section: 'answer' | 'authority' | 'additional';
  /** Owner name, lower case, no trailing dot. */
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdlength: number;
}

/** Reads a possibly compressed name; returns it and the offset after it in the record. */
function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let off = start;
  let next = -1;
  for (let hops = 0; hops < 128; hops++) {
    const len = buf[off];
    if (len === undefined) throw new Error(`name runs past the end at offset ${off}`);
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1];
      continue;
    }
    if (len === 0) return { name: labels.join('.').toLowerCase(), next: next < 0 ? off + 1 : next };
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += len + 1;
  }
  throw new Error('name compression loop');
}

/** Every resource record of a message, in wire order; throws on bytes that do not parse. */
export function rawRecords(buf: Buffer): RawRecord[] {
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let off = 12;
  for (let i = 0; i < counts[0]; i++) off = readName(buf, off).next + 4;
  const out: RawRecord[] = [];
  const sections: RawRecord['section'][] = ['answer', 'authority', 'additional'];
  sections.forEach((section, s) => {
    for (let i = 0; i < counts[s + 1]; i++) {
      const { name, next } = readName(buf, off);
      const type = buf.readUInt16BE(next);
      const cls = buf.readUInt16BE(next + 2);
      const ttl = buf.readUInt32BE(next + 4);
      const rdlength = buf.readUInt16BE(next + 8);
      out.push({ section, name, type, class: cls, ttl, rdlength });
      off = next + 10 + rdlength;
    }
  });
  return out;
}

export const TYPE_AAAA = 28;
export const CLASS_IN = 1;
