/** How a /command is written, and the usage sentence shown when one lacks its arguments (one format for every command table). */
export interface Usage {
  name: string;
  args?: string;
  does: string;
}

/** `/name ARGS`, as the help and README write it. */
export const commandUsage = (c: Omit<Usage, 'does'>): string => `/${c.name}${c.args ? ` ${c.args}` : ''}`;

/** The line under the message line for a command missing its arguments. */
export const usageText = (c: Usage): string => `usage: ${commandUsage(c)}: ${c.does}`;
