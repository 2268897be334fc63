#!/usr/bin/env node
/**
 * nat64lab command line. Each subcommand lives in bin/commands/ and returns
 * an exit code; user errors are one line on stderr, never a stack trace.
 */
import { commands } from './commands/registry';
import { UsageError } from './commands/usage-error';

const VERSION: string = require('../../package.json').version;

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `nat64lab ${VERSION} — NAT64/DNS64 conformance and comparison lab`,
    '',
    'usage: nat64lab <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'nat64lab <command> --help' for a command's options.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`nat64lab: unknown command "${name}"; run 'nat64lab --help' for the list\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: nat64lab ${cmd.usage}\n\n${cmd.help}\n`);
    return 0;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`nat64lab: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    // A harness bug, not a user error: keep the stack for whoever files it.
    process.stderr.write(`nat64lab: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 3;
  },
);
