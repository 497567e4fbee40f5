/** How a /command is written, and the usage sentence shown when one lacks its arguments (one format for every command table). */
import type { KeyContext } from './keys/context.js';
import type { State } from './state/index.js';

export interface Usage {
  name: string;
  args?: string;
  does: string;
}

/** `/name ARGS`, as the help and README write it. */
export const commandUsage = (c: Omit<Usage, 'does'>): string => `/${c.name}${c.args ? ` ${c.args}` : ''}`;

/** The line under the message line for a command missing its arguments. */
export const usageText = (c: Usage): string => `usage: ${commandUsage(c)}: ${c.does}`;

/** A /command of a command table (commands.ts, groupCommands.ts): how it is written and what it runs. */
export interface SlashCommand {
  readonly name: string;
  /** Other names that run it. */
  readonly aliases?: readonly string[];
  /** Its arguments as the help writes them. */
  readonly args?: string;
  readonly does: string;
  /** `args`: the rest of the line, trimmed. */
  readonly run: (s: State, ctx: KeyContext, args: string) => void;
}
