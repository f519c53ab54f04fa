// `rig`: the command line. Exit codes: 0 valid/ok, 1 invalid (an anomaly was found), 2 unknown or could not run.
import { EnvironmentConfigError, EnvironmentUnavailableError } from '../env/index.ts';
import { bench } from './bench.ts';
import { check } from './check.ts';
import { type Command, parseCommand, UsageError } from './command.ts';
import { doctor } from './doctor.ts';
import { efficacy } from './efficacy.ts';
import { proxy } from './proxy.ts';
import { report } from './report.ts';
import { repro } from './repro.ts';
import { run } from './run.ts';
import { shrinkCommand } from './shrink.ts';
import { sim } from './sim.ts';
import { up } from './up.ts';

const commands: Command[] = [run, sim, check, repro, shrinkCommand, efficacy, report, bench, up, doctor, proxy];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: rig <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "rig <command> --help shows a command's options. Exit codes: 0 valid, 1 invalid, 2 unknown or could not run.",
  ].join('\n');
}

function commandHelp(c: Command): string {
  return `rig ${c.name}: ${c.summary}\n\nusage: ${c.usage}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = commands.find((c) => c.name === rest[0]);
    console.log(topic ? commandHelp(topic) : overview());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`rig: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseCommand(command, rest);
    if (values.help) {
      console.log(commandHelp(command));
      return 0;
    }
    return await command.run(values, positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`rig ${command.name}: ${err.message}\n\nusage: ${command.usage}`);
      return 2;
    }
    if (err instanceof EnvironmentUnavailableError || err instanceof EnvironmentConfigError) {
      console.error(`rig ${command.name}: ${err.message}`);
      return 2;
    }
    console.error(`rig ${command.name}: ${(err as Error).stack ?? String(err)}`);
    return 2;
  }
}
