#!/usr/bin/env node
/** `pushback <command> [...]`: the command-line entry (bin `pushback`). */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError, write, type CliIO } from './command.js';
import { COMMANDS, PLANNED } from './registry.js';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: pushback <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'pushback <command> --help' for a command's options.",
    '',
  ].join('\n');
}

/** Runs the CLI; resolves with the exit code (never calls process.exit). */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    await write(io.stdout, target ? target.usage + '\n' : help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const planned = PLANNED[name];
    await write(io.stderr, planned ? `pushback: ${planned}\n` : `pushback: unknown command "${name}".\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      await write(io.stderr, `pushback ${command.name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    await write(io.stderr, `pushback ${command.name}: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}

function isEntry(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  process.exitCode = code;
}
