/**
 * named.conf for BIND 9 as a DNS64 in the DNS lab: the shipped defaults plus
 * what being a DNS64 here needs — where to listen, the Pref64s (one `dns64`
 * statement each; RFC 6147 §5.2 ranges through `mapped`), the lab trust
 * anchor instead of the built-in root key, and root hints at the authority.
 */
import { randomBytes } from 'crypto';
import { DNS } from '../dns/names';
import type { LabSettings, ServerPlan } from './server-process';
import { parseDs, rootHints } from './server-process';

/** Port of BIND's control channel inside the namespace (rndc flush). */
export const BIND_CONTROL_PORT = 953;

function list(items: string[]): string {
  return `{ ${items.map((i) => `${i};`).join(' ')} }`;
}

/** The `mapped` list of one prefix: its own ranges, or (for a default prefix) everything not claimed by another. */
function mapped(s: LabSettings, i: number): string | undefined {
  const p = s.prefixes[i];
  if (p.ipv4) return list(p.ipv4);
  const claimed = s.prefixes.flatMap((q) => q.ipv4 ?? []);
  return claimed.length > 0 ? list([...claimed.map((c) => `!${c}`), 'any']) : undefined;
}

export function bindPlan(s: LabSettings): ServerPlan {
  const ds = parseDs(s.trustAnchor);
  const secret = randomBytes(32).toString('base64');
  const dns64 = s.prefixes.map((p, i) => {
    const opts: string[] = [];
    if (s.aclSet) opts.push(`clients ${list(s.acl)};`);
    const m = mapped(s, i);
    if (m) opts.push(`mapped ${m};`);
    // BIND's default exclusion list is ::ffff:0.0.0.0/96; state it only when the case changes it.
    if (!(s.exclude.length === 1 && /^::ffff:0(\.0\.0\.0|:0)\/96$/.test(s.exclude[0]))) opts.push(`exclude ${list(s.exclude)};`);
    return `    dns64 ${p.prefix} {${opts.length ? ` ${opts.join(' ')} ` : ' '}};`;
  });
  const conf = `options {
    directory "${s.dir}";
    pid-file "${s.dir}/named.pid";
    lock-file "${s.dir}/named.lock";
    session-keyfile "${s.dir}/session.key";
    managed-keys-directory "${s.dir}";
    listen-on port ${s.port} { ${DNS.resolverAddress}; };
    listen-on-v6 { none; };
    // Upstream queries from an address of its own, so the lab can tell BIND's traffic apart.
    query-source address ${s.queryFrom};
${s.aclSet ? `    allow-query ${list(s.acl)};\n    allow-recursion ${list(s.acl)};\n` : ''}    // Only the lab's trust anchor: the built-in root key cannot validate the lab's unsigned fake root.
    dnssec-validation ${s.validate ? 'yes' : 'no'};
    // The built-in RFC 6303 empty zones (2001:db8::/32 reverse among them) would shadow the lab's data.
    empty-zones-enable no;
${dns64.join('\n')}
};
${s.validate ? `trust-anchors { ${ds.owner} static-ds ${ds.keyTag} ${ds.algorithm} ${ds.digestType} "${ds.digest}"; };\n` : ''}key "lab" { algorithm hmac-sha256; secret "${secret}"; };
controls { inet ${DNS.resolverAddress} port ${BIND_CONTROL_PORT} allow { ${DNS.resolverAddress}; } keys { "lab"; }; };
logging { channel stderr_only { stderr; severity info; }; category default { stderr_only; }; category lame-servers { null; }; };
zone "." { type hint; file "root.hints"; };
`;
  const rndc = `key "lab" { algorithm hmac-sha256; secret "${secret}"; };
options { default-key "lab"; default-server ${DNS.resolverAddress}; default-port ${BIND_CONTROL_PORT}; };
`;
  return {
    files: { 'named.conf': conf, 'root.hints': rootHints(), 'rndc.conf': rndc },
    argv: ['named', '-g', '-c', `${s.dir}/named.conf`],
    mode: 'root',
  };
}
