/**
 * The CLI's commands. To add one, write `src/cli/<name>.ts` exporting a `Command` and list it here
 */
import { catalogCommand } from './catalog.js';
import { classifyCommand } from './classify.js';
import type { Command } from './command.js';
import { demoCommand } from './demo.js';
import { explainCommand } from './explain.js';

export const COMMANDS: readonly Command[] = [classifyCommand, explainCommand, catalogCommand, demoCommand];

/** Commands that are planned but not built yet: a clear message instead of "unknown command". */
export const PLANNED: Readonly<Record<string, string>> = {};
