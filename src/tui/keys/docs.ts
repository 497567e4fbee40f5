/** The keymap and the /commands as people read them: the help overlay's sections and README's tables. */
import { COMMANDS, commandUsage } from '../commands.js';
import { markdownTable } from '../text/markdown.js';
import { Command, KEYMAP, keyLabel, keysLabel } from './keymap.js';

export interface HelpSection {
  readonly title: string;
  /** [keys or command, what it does] */
  readonly rows: ReadonlyArray<readonly [string, string]>;
}

/** Every key by scope, then the commands: what the help overlay shows. */
export function helpSections(): HelpSection[] {
  return [
    ...KEYMAP.map((s) => ({ title: s.title, rows: s.bindings.map((b) => [keysLabel(b), b.does] as const) })),
    { title: 'Commands', rows: COMMANDS.map((c) => [commandUsage(c), c.does] as const) },
  ];
}

/** README's key table, with the sentence that introduces it. */
export function keysMarkdown(): string {
  const rows = KEYMAP.flatMap((s) => s.bindings.map((b, i) => [i === 0 ? s.title : '', keysLabel(b), b.does]));
  return `Keys (also under ${keyLabel(Command.Help)} or \`/help\` in the client):\n\n${markdownTable(['Where', 'Key', 'Action'], rows)}`;
}

/** README's table of /commands. */
export const commandsMarkdown = (): string => markdownTable(['Command', 'Does'], COMMANDS.map((c) => [`\`${commandUsage(c)}\``, c.does]));
