/** Stable colours: a name always gets the same one, so a sender is recognisable at a glance. */
const PALETTE = ['cyan', 'green', 'yellow', 'magenta', 'blue', 'red', 'cyanBright', 'greenBright', 'yellowBright', 'magentaBright', 'blueBright', 'redBright'] as const;

export type NameColor = (typeof PALETTE)[number];

/** FNV-1a over the name, mapped onto the palette. */
export function colorFor(name: string): NameColor {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return PALETTE[h % PALETTE.length]!;
}
