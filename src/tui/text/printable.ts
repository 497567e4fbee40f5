/**
 * Text from the network is shown, never obeyed: control characters are made visible so nothing a
 * peer sends (an OSC title change, a bell, a carriage return over the line) reaches the terminal.
 * ink itself passes OSC sequences through, so this runs on everything the server sends.
 */

// C0 controls, DEL, C1 controls, and the bidi overrides that reorder what follows them.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Control characters as caret notation (ESC -> ^[), others as U+FFFD. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return `^${String.fromCharCode(code + 64)}`;
    if (code === 0x7f) return '^?';
    return '\ufffd';
  });
}
