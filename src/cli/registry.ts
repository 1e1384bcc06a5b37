/**
 * The CLI's commands. To add one, write `src/cli/<name>.ts` exporting a `Command` and list it here
 * (the `demo` command is built separately and is not registered yet).
 */
import { catalogCommand } from './catalog.js';
import { classifyCommand } from './classify.js';
import type { Command } from './command.js';
import { explainCommand } from './explain.js';

export const COMMANDS: readonly Command[] = [classifyCommand, explainCommand, catalogCommand];

/** Commands that are planned but not built yet: a clear message instead of "unknown command". */
export const PLANNED: Readonly<Record<string, string>> = { demo: 'pushback demo is not available yet in this build.' };
