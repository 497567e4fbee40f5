/**
 * The terminal around ink: the alternate screen on start, and the normal screen and cursor back on
 * every way out (quit, Ctrl-C, signals, crashes). ink 6.8 has no alternate-screen option.
 */
import { onExit } from 'signal-exit';

const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?1049l';
const SHOW_CURSOR = '\x1b[?25h';
const CLEAR = '\x1b[2J\x1b[3J\x1b[H';

let active = false;
let out: NodeJS.WriteStream = process.stdout;

/** Switches to the alternate screen and arranges for restore() on any exit. */
export function enterFullScreen(stream: NodeJS.WriteStream = process.stdout): void {
  out = stream;
  if (active) return;
  active = true;
  out.write(ENTER_ALT + CLEAR);
  onExit(() => {
    restoreTerminal();
  });
}

/** Leaves the alternate screen and shows the cursor; safe to call more than once. */
export function restoreTerminal(): void {
  if (!active) return;
  active = false;
  try {
    if (out.isTTY && typeof (process.stdin as NodeJS.ReadStream).setRawMode === 'function' && process.stdin.isTTY) {
      process.stdin.setRawMode(false);
    }
  } catch {
    // stdin may already be gone
  }
  try {
    out.write(setTitleSeq('') + SHOW_CURSOR + LEAVE_ALT);
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
