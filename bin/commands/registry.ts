/** The subcommands of the CLI, in the order `--help` lists them. */
import { cleanCommand, CLEAN_HELP } from './clean';
import { compareCommand, COMPARE_HELP } from './compare';
import { coverageCommand, COVERAGE_HELP } from './coverage';
import { dissectCommand } from './dissect';
import { dns64Command, DNS64_HELP } from './dns64';
import { engineCommand, ENGINE_HELP } from './engine';
import { joolCommand, JOOL_HELP } from './jool';
import { runCommand, RUN_HELP } from './run';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  help: string;
  run(args: string[]): Promise<number>;
}

export const commands: Command[] = [
  {
    name: 'run',
    summary: 'run the conformance suites against a target; write results, JUnit, HTML report, pcaps',
    usage: 'run [--target engine] [--suite a,b] [--grep text] [--out dir] [--fault a,b] [--soak] [--quiet]',
    help: RUN_HELP,
    run: runCommand,
  },
  {
    name: 'compare',
    summary: 'several runs side by side: scores, behaviour cards, differing requirements first',
    usage: 'compare <results.json | run folder> ... [--out dir]',
    help: COMPARE_HELP,
    run: compareCommand,
  },
  {
    name: 'coverage',
    summary: 'which catalogue requirements have checks; --unkilled: checks no engine fault breaks',
    usage: 'coverage [--suite a,b] [--missing] [--unkilled]',
    help: COVERAGE_HELP,
    run: coverageCommand,
  },
  {
    name: 'dissect',
    summary: 'print packets layer by layer (a pcap file or one packet as hex)',
    usage: 'dissect <capture.pcap | hex> [--summary]',
    help: [
      'Decodes every packet of a capture (LINKTYPE_RAW, Ethernet, Linux SLL) or one IPv4/IPv6 packet',
      'given as hex, and prints each layer with its fields, checksums verified and ICMP quotes decoded.',
      '  --summary   one line per packet',
    ].join('\n'),
    run: dissectCommand,
  },
  { name: 'dns64', summary: "run the project's own DNS64 as a daemon (UDP and TCP)", usage: 'dns64 --config FILE.json', help: DNS64_HELP, run: dns64Command },
  {
    name: 'engine',
    summary: 'run the own NAT64 as a daemon translating on a TUN device, with a control socket',
    usage: 'engine --config FILE [--control PATH] [--lab-clock]',
    help: ENGINE_HELP,
    run: engineCommand,
  },
  { name: 'jool', summary: 'build the Jool appliance (qemu guest) the jool target boots', usage: 'jool build [--force]', help: JOOL_HELP, run: joolCommand },
  {
    name: 'clean',
    summary: 'remove network namespaces and links left by lab runs that did not tear down',
    usage: 'clean',
    help: CLEAN_HELP,
    run: cleanCommand,
  },
];
