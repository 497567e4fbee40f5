/** Every key the TUI knows, by screen: the help overlay is built from this, and test/tui/keys.test.ts checks README.md lists the same. */
export const KEYS: ReadonlyArray<{ where: string; keys: ReadonlyArray<[string, string]> }> = [
  {
    where: 'Everywhere',
    keys: [
      ['letters, digits, …', 'always type into the message line, whatever pane has the focus'],
      ['Enter', 'send the line (or run the /command)'],
      ['Tab', 'complete a name; with nothing to complete, next pane'],
      ['Shift-Tab / Esc', 'previous pane / back to the message line'],
      ['Ctrl-N / Ctrl-P', 'next / previous conversation'],
      ['Alt-A', 'next conversation with unread messages'],
      ['Alt-1 … Alt-9', 'window 1 (the inbox) to 9'],
      ['PgUp / PgDn', 'scroll the messages a page (except in the users pane)'],
      ['Ctrl-F', 'fetch waiting messages'],
      ['Alt-H', 'this help (also /help)'],
      ['Ctrl-L', 'redraw the screen'],
      ['Ctrl-C', 'quit (asks first if the line has text)'],
    ],
  },
  {
    where: 'Message line',
    keys: [
      ['Up / Down', 'previous / next line you entered'],
      ['Left / Right', 'move the cursor'],
      ['Ctrl-A / Ctrl-E', 'start / end of line'],
      ['Ctrl-U / Ctrl-K', 'delete to start / to end'],
      ['Ctrl-W', 'delete the word before the cursor'],
    ],
  },
  {
    where: 'Messages pane',
    keys: [
      ['Up / Down', 'scroll a line'],
      ['Home / End', 'oldest / newest'],
    ],
  },
  {
    where: 'Users pane',
    keys: [
      ['Up / Down', 'select a user'],
      ['PgUp / PgDn', 'previous / next page of users'],
      ['Enter', 'open the conversation with the selected user'],
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

/** The /commands, for /help and README.md (checked by the same test). */
export const COMMANDS: ReadonlyArray<[string, string]> = [
  ['/msg NAME TEXT', 'send TEXT to NAME (also @NAME TEXT)'],
  ['/query NAME', 'open the conversation with NAME'],
  ['/close', 'close this conversation'],
  ['/clear', 'clear this window'],
  ['/search TEXT', 'find TEXT in the history (Esc to leave)'],
  ['/who [PATTERN]', 'filter the users list (* and ? wildcards)'],
  ['/fetch', 'fetch waiting messages'],
  ['/delete', 'delete your account'],
  ['/help', 'keys and commands'],
  ['/quit', 'quit'],
];
