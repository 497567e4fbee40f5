/** Every key the TUI knows, by screen: the help overlay is built from this, and test/tui/keys.test.ts checks README.md lists the same. */
export const KEYS: ReadonlyArray<{ where: string; keys: ReadonlyArray<[string, string]> }> = [
  {
    where: 'Everywhere',
    keys: [
      ['Tab / Shift-Tab', 'next / previous pane'],
      ['?', 'this help (when not typing)'],
      ['q', 'quit (when not typing); Ctrl-C quits always'],
      ['f / Ctrl-F', 'fetch waiting messages into the inbox'],
      ['Ctrl-D', 'delete your account'],
      ['Ctrl-L', 'redraw the screen'],
    ],
  },
  {
    where: 'Users',
    keys: [
      ['Up / Down (k / j)', 'select a user'],
      ['Enter', 'write to the selected user'],
      ['PgUp / PgDn (p / n)', 'previous / next page'],
      ['/', 'edit the filter (* and ? wildcards); Enter applies, Esc cancels'],
      ['r', 'refresh the list'],
    ],
  },
  {
    where: 'Inbox',
    keys: [
      ['Up / Down', 'scroll one message'],
      ['PgUp / PgDn', 'scroll one page'],
      ['Home / End (g / G)', 'oldest / newest'],
    ],
  },
  {
    where: 'Compose',
    keys: [
      ['Enter', 'send (to the chosen user, or write @name message)'],
      ['Up / Down', 'previous / next sent line'],
      ['Ctrl-A / Ctrl-E', 'start / end of line'],
      ['Ctrl-U / Ctrl-K', 'delete to start / to end'],
      ['Ctrl-W', 'delete the word before the cursor'],
      ['Esc', 'leave the compose pane'],
    ],
  },
  {
    where: 'Login',
    keys: [
      ['Tab / Up / Down', 'switch field'],
      ['Enter', 'log in (or register, in register mode)'],
      ['Ctrl-R', 'switch between log in and register'],
    ],
  },
];
