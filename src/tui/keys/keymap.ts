/**
 * THE keymap: every command the keyboard can give, the keys bound to it and what it does, by scope
 * (where it applies). Key routing (route.ts), the help overlay and README's key table (docs.ts)
 * all come from this table; what each command does to the state is in handlers.ts.
 *
 * Adding a key: a Command, a row here, a handler in handlers.ts (the compiler asks for it), then
 * README's table (test/tui/keys.unit.test.ts prints the expected one).
 */
import { key, type KeySpec } from './match.js';

export enum Command {
  Send = 'send',
  Complete = 'complete',
  PreviousPane = 'previousPane',
  Back = 'back',
  NextWindow = 'nextWindow',
  PreviousWindow = 'previousWindow',
  NextUnread = 'nextUnread',
  Window = 'window',
  PageUp = 'pageUp',
  PageDown = 'pageDown',
  Fetch = 'fetch',
  Help = 'help',
  Redraw = 'redraw',
  Quit = 'quit',

  Type = 'type',
  HistoryPrevious = 'historyPrevious',
  HistoryNext = 'historyNext',
  CursorLeft = 'cursorLeft',
  CursorRight = 'cursorRight',
  LineStart = 'lineStart',
  LineEnd = 'lineEnd',
  Backspace = 'backspace',
  KillToStart = 'killToStart',
  KillToEnd = 'killToEnd',
  KillWord = 'killWord',

  ScrollUp = 'scrollUp',
  ScrollDown = 'scrollDown',
  ScrollTop = 'scrollTop',
  ScrollBottom = 'scrollBottom',

  UserUp = 'userUp',
  UserDown = 'userDown',
  UsersPageUp = 'usersPageUp',
  UsersPageDown = 'usersPageDown',
  OpenUser = 'openUser',

  LoginField = 'loginField',
  LoginSubmit = 'loginSubmit',
  ToggleRegister = 'toggleRegister',
  LoginQuit = 'loginQuit',

  HelpLineUp = 'helpLineUp',
  HelpLineDown = 'helpLineDown',
  HelpPageUp = 'helpPageUp',
  HelpPageDown = 'helpPageDown',
  HelpType = 'helpType',
  HelpClose = 'helpClose',

  QuitYes = 'quitYes',
  QuitNo = 'quitNo',
  SplitYes = 'splitYes',
  SplitNo = 'splitNo',
  PasteJoin = 'pasteJoin',
  PasteLines = 'pasteLines',
  PasteEdit = 'pasteEdit',
  PasteDiscard = 'pasteDiscard',
  DeleteContinue = 'deleteContinue',
  DeleteCancel = 'deleteCancel',
  DeleteYes = 'deleteYes',
  DeleteNo = 'deleteNo',
}

/** Where a binding applies; route.ts says which scopes are active in each state, in which order. */
export type Scope = 'main' | 'line' | 'messages' | 'users' | 'login' | 'help' | 'quit' | 'split' | 'paste' | 'deletePassword' | 'deleteConfirm';

export interface Binding {
  readonly command: Command;
  readonly keys: readonly KeySpec[];
  /** For the help and README. */
  readonly does: string;
}

export interface ScopeKeys {
  readonly scope: Scope;
  /** The heading in the help and README. */
  readonly title: string;
  /** In a scope the first binding that matches wins. */
  readonly bindings: readonly Binding[];
}

const bind = (command: Command, keys: string | readonly string[], does: string): Binding => ({
  command,
  keys: (typeof keys === 'string' ? [keys] : keys).map(key),
  does,
});

export const KEYMAP: readonly ScopeKeys[] = [
  {
    scope: 'main',
    title: 'Everywhere',
    bindings: [
      bind(Command.Send, 'enter', 'send the line (or run the /command)'),
      bind(Command.Complete, 'tab', 'complete a name (any account or #group; again: the next match); with nothing to complete, next pane'),
      bind(Command.PreviousPane, 'shift+tab', 'previous pane'),
      bind(Command.Back, 'escape', 'back to the message line (and out of a search)'),
      bind(Command.NextWindow, 'ctrl+n', 'next conversation'),
      bind(Command.PreviousWindow, 'ctrl+p', 'previous conversation'),
      bind(Command.NextUnread, 'alt+a', 'next conversation with unread messages'),
      bind(Command.Window, ['alt+1…9', 'alt+0'], 'window 1 (the inbox) to 9, and 10 (also /window N)'),
      bind(Command.PageUp, 'pageup', 'scroll the messages up a page (except in the users pane)'),
      bind(Command.PageDown, 'pagedown', 'scroll the messages down a page (except in the users pane)'),
      bind(Command.Fetch, 'ctrl+f', 'fetch waiting messages'),
      bind(Command.Help, 'alt+h', 'this help (also /help)'),
      bind(Command.Redraw, 'ctrl+l', 'redraw the screen'),
      bind(Command.Quit, 'ctrl+c', 'quit (asks first if the line has text or messages are not sent yet)'),
    ],
  },
  {
    scope: 'line',
    title: 'Message line (and the other text fields)',
    bindings: [
      bind(Command.Type, 'text', 'always type into the message line, whatever pane has the focus'),
      bind(Command.HistoryPrevious, 'up', 'previous line you entered'),
      bind(Command.HistoryNext, 'down', 'next line you entered'),
      bind(Command.CursorLeft, 'left', 'move the cursor left'),
      bind(Command.CursorRight, 'right', 'move the cursor right'),
      bind(Command.LineStart, ['ctrl+a', 'home'], 'start of line'),
      bind(Command.LineEnd, ['ctrl+e', 'end'], 'end of line'),
      bind(Command.Backspace, ['backspace', 'ctrl+h'], 'delete the character before the cursor'),
      bind(Command.KillToStart, 'ctrl+u', 'delete to the start of the line'),
      bind(Command.KillToEnd, 'ctrl+k', 'delete to the end of the line'),
      bind(Command.KillWord, 'ctrl+w', 'delete the word before the cursor'),
    ],
  },
  {
    scope: 'messages',
    title: 'Messages pane',
    bindings: [
      bind(Command.ScrollUp, 'up', 'scroll up a line'),
      bind(Command.ScrollDown, 'down', 'scroll down a line'),
      bind(Command.ScrollTop, 'home', 'oldest'),
      bind(Command.ScrollBottom, 'end', 'newest'),
    ],
  },
  {
    scope: 'users',
    title: 'Users pane',
    bindings: [
      bind(Command.UserUp, 'up', 'select the user above'),
      bind(Command.UserDown, 'down', 'select the user below'),
      bind(Command.UsersPageUp, 'pageup', 'previous page of users'),
      bind(Command.UsersPageDown, 'pagedown', 'next page of users'),
      bind(Command.OpenUser, 'enter', 'open the conversation with the selected user'),
    ],
  },
  {
    scope: 'login',
    title: 'Login',
    bindings: [
      bind(Command.LoginField, ['tab', 'shift+tab', 'up', 'down'], 'switch field'),
      bind(Command.LoginSubmit, 'enter', 'log in (or register, in register mode)'),
      bind(Command.ToggleRegister, 'ctrl+r', 'switch between log in and register'),
      bind(Command.LoginQuit, 'ctrl+c', 'quit'),
    ],
  },
  {
    scope: 'help',
    title: 'Help',
    bindings: [
      bind(Command.HelpLineUp, 'up', 'scroll up a line'),
      bind(Command.HelpLineDown, 'down', 'scroll down a line'),
      bind(Command.HelpPageUp, 'pageup', 'scroll up a page'),
      bind(Command.HelpPageDown, 'pagedown', 'scroll down a page'),
      bind(Command.HelpType, 'text', 'close the help and type it into the message line'),
      bind(Command.HelpClose, 'any', 'close the help'),
    ],
  },
  {
    scope: 'quit',
    title: 'Quit? (text in the line, or messages not sent yet)',
    bindings: [
      bind(Command.QuitYes, ['y', 'enter', 'ctrl+c'], 'quit'),
      bind(Command.QuitNo, ['n', 'escape'], 'back to the line'),
    ],
  },
  {
    scope: 'split',
    title: 'Send a long line as several messages?',
    bindings: [
      bind(Command.SplitYes, ['y', 'enter'], 'send the parts'),
      bind(Command.SplitNo, ['n', 'escape'], 'keep editing'),
    ],
  },
  {
    scope: 'paste',
    title: 'Send pasted lines?',
    bindings: [
      bind(Command.PasteJoin, ['y', 'enter'], 'send them as one message (line breaks become spaces)'),
      bind(Command.PasteLines, 's', 'split: one message per line'),
      bind(Command.PasteEdit, ['n', 'escape'], 'keep editing'),
      bind(Command.PasteDiscard, 'd', 'cancel: discard the pasted text, send nothing'),
    ],
  },
  {
    scope: 'deletePassword',
    title: 'Delete account: password',
    bindings: [
      bind(Command.DeleteContinue, 'enter', 'continue'),
      bind(Command.DeleteCancel, 'escape', 'cancel'),
    ],
  },
  {
    scope: 'deleteConfirm',
    title: 'Delete account: discard waiting messages?',
    bindings: [
      bind(Command.DeleteYes, 'y', 'delete the account for good'),
      bind(Command.DeleteNo, ['n', 'escape'], 'cancel'),
    ],
  },
];

const byCommand = new Map(KEYMAP.flatMap((s) => s.bindings.map((b) => [b.command, b] as const)));

/** The binding of a command. */
export function bindingOf(command: Command): Binding {
  const b = byCommand.get(command);
  if (!b) throw new Error(`keymap: ${command} has no keys`);
  return b;
}

/** All keys of a binding as the help shows them: "Ctrl-A, Home". */
export const keysLabel = (b: Binding): string => b.keys.map((k) => k.label).join(', ');

/** Every key of a command, for hints on screen: "y / Enter". */
export const keysHint = (command: Command): string => bindingOf(command).keys.map((k) => k.label).join(' / ');

/** The first key of a command, for hints on screen ("Alt-H help"). */
export const keyLabel = (command: Command): string => bindingOf(command).keys[0]!.label;
