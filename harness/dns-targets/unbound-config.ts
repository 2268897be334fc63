/**
 * unbound.conf for Unbound as a DNS64 in the DNS lab: the shipped defaults
 * plus the dns64 module and prefix, the lab trust anchor, root hints at the
 * authority, and the exemptions the lab's addresses need from Unbound's
 * built-in local zones.
 */
import { DNS } from '../dns/names';
import type { LabSettings, ServerPlan } from './server-process';
import { rootHints } from './server-process';

/** ip6.arpa zone of 2001:db8::/32 (the lab's Pref64s live there). */
const DOC_REVERSE = '8.b.d.0.1.0.0.2.ip6.arpa.';

export function unboundPlan(s: LabSettings): ServerPlan {
  const lines = [
    'server:',
    `    interface: ${DNS.resolverAddress}@${s.port}`,
    `    port: ${s.port}`,
    '    do-ip6: no',
    '    do-daemonize: no',
    '    username: ""',
    '    chroot: ""',
    `    directory: "${s.dir}"`,
    `    pidfile: "${s.dir}/unbound.pid"`,
    '    use-syslog: no',
    '    logfile: ""',
    // Upstream queries from an address of its own, so the lab can tell Unbound's traffic apart.
    `    outgoing-interface: ${s.queryFrom}`,
    // The authority is on 127.0.0.2, which Unbound refuses to query by default.
    '    do-not-query-localhost: no',
    `    module-config: "dns64 ${s.validate ? 'validator ' : ''}iterator"`,
    ...s.prefixes.map((p) => `    dns64-prefix: ${p.prefix}`),
    ...(s.validate ? [`    trust-anchor: "${s.trustAnchor.replace(/\s+IN\s+/, ' ')}"`] : []),
    `    root-hints: "${s.dir}/root.hints"`,
    // Unbound leaves the additional section empty by default; the RFC 6147 §5.3 rules on it need it filled.
    '    minimal-responses: no',
    // Built-in local zones answer these names from Unbound itself (NXDOMAIN), shadowing the lab's data and PTR synthesis.
    '    local-zone: "test." nodefault',
    `    local-zone: "${DOC_REVERSE}" nodefault`,
    // Unbound's built-in rules allow 127.0.0.0/8; a case's ACL replaces them.
    ...(s.aclSet ? [...['0.0.0.0/0', '127.0.0.0/8'].filter((n) => !s.acl.includes(n)).map((n) => `    access-control: ${n} refuse`), ...s.acl.map((a) => `    access-control: ${a} allow`)] : []),
    'remote-control:',
    // Between cases the cache is flushed over a local socket instead of restarting.
    '    control-enable: yes',
    `    control-interface: "${s.dir}/unbound.ctl"`,
    '    control-use-cert: no',
  ];
  return {
    files: { 'unbound.conf': lines.join('\n') + '\n', 'root.hints': rootHints() },
    argv: ['unbound', '-d', '-c', `${s.dir}/unbound.conf`],
    mode: 'root',
  };
}
