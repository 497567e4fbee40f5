/**
 * Text from the network is shown, never obeyed: control characters are made visible so nothing a
 * peer sends (an OSC title change, a bell, a carriage return over the line) reaches the terminal.
 * ink itself passes OSC sequences through, so this runs on everything the server sends. What is
 * shown must also take the columns the width function says: a lone surrogate (which the terminal
 * gets as U+FFFD, one column) becomes U+FFFD here too, and zero-width format characters, which
 * terminals count differently, are dropped, so neither shifts the rest of the line.
 */

// C0 controls, DEL, C1 controls, format characters (zero-width spaces and joiners, soft hyphen,
// BOM, the bidi overrides that reorder what follows them), and lone surrogates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]|\p{Cf}/gu;
/** Format characters that would reorder the text after them: shown, as U+FFFD, rather than dropped. */
const BIDI = /^[\u202a-\u202e\u2066-\u2069]$/;

/** Control characters as caret notation (ESC -> ^[), bidi overrides and lone surrogates as U+FFFD, other format characters dropped. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return `^${String.fromCharCode(code + 64)}`;
    if (code === 0x7f) return '^?';
    if (code < 0xa0 || BIDI.test(c) || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
    return '';
  });
}
