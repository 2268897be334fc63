/**
 * The project's own DNS64 (RFC 6147, RFC 8880 §7): `createDns64` builds the
 * server core from a validated configuration and injected clock, random
 * source and upstream transport; sockets.ts puts it on the network.
 */
import type { Dns64Config, Dns64Deps, Dns64Server } from './api';
import { createServer } from './server';

export type { Dns64Config, Dns64Deps, Dns64Server, ClientInfo, UpstreamTransport, Dns64PrefixConfig, DnsTransport } from './api';
export { parseDns64Config } from './config';
export { DNS64_FAULTS, isDns64Fault } from './faults';

export function createDns64(config: Dns64Config, deps: Dns64Deps): Dns64Server {
  return createServer(config, deps);
}
