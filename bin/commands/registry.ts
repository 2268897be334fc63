/** The subcommands of the CLI, in the order `--help` lists them. */
import { coverageCommand, COVERAGE_HELP } from './coverage';
import { dissectCommand } from './dissect';
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
];
