/**
 * The terminal around ink. From the first instant (main.ts, before anything heavy is loaded): raw
 * mode, so nothing typed while the client starts is echoed (a password least of all) and the keys
 * wait, in order, for the form; the alternate screen; bracketed paste, so a pasted line break is
 * never the Enter key. On every way out (quit, Ctrl-C, signals, crashes) the normal screen, the
 * cursor and the terminal's modes come back. ink 6.8 has no alternate-screen option.
 */
import { onExit } from 'signal-exit';

const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?1049l';
const SHOW_CURSOR = '\x1b[?25h';
const CLEAR = '\x1b[2J\x1b[3J\x1b[H';
const PASTE_ON = '\x1b[?2004h';
const PASTE_OFF = '\x1b[?2004l';
const BELL = '\x07';

let active = false;
let out: NodeJS.WriteStream = process.stdout;

/** Whether these arguments start the full-screen client (not --help or --version) on a terminal. */
export const wantsTerminal = (argv: readonly string[], stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout): boolean =>
  stdin.isTTY === true && stdout.isTTY === true && !argv.some((a) => /^(?:-h|--help|-v|--version)$/.test(a));

/** Raw mode, the alternate screen and bracketed paste; arranges for restoreTerminal() on any exit. */
export function enterFullScreen(stream: NodeJS.WriteStream = process.stdout): void {
  out = stream;
  if (active) return;
  active = true;
  // Raw first: a key typed from here on is neither echoed nor turned into a signal; it waits for ink.
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  out.write(ENTER_ALT + CLEAR + PASTE_ON);
  onExit(() => {
    restoreTerminal();
  });
}

/** Leaves the alternate screen, shows the cursor, turns raw mode and bracketed paste off; safe to call more than once. */
export function restoreTerminal(): void {
  if (!active) return;
  active = false;
  try {
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
  } catch {
    // stdin may already be gone
  }
  try {
    out.write(setTitleSeq('') + PASTE_OFF + SHOW_CURSOR + LEAVE_ALT);
  } catch {
    // stdout may already be gone
  }
}

/** Clears the whole screen (for Ctrl-L, before ink paints again). */
export function clearScreen(): void {
  out.write(CLEAR);
}

const setTitleSeq = (title: string) => `\x1b]0;${title.replace(/[\x00-\x1f\x7f]/g, '')}\x07`;

/** Sets the terminal window title (OSC 0). */
export function setTitle(title: string): void {
  if (active) out.write(setTitleSeq(title));
}

/** Rings the terminal bell (tmux then flags the window, if it is not the one on screen). */
export function ringBell(): void {
  if (active) out.write(BELL);
}
