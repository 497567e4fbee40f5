/**
 * Account and input rules, checked by the service before anything reaches the store. Lengths are the
 * widths of the schema's fields (src/protocol/schema.ts), never restated here.
 *
 * - Username: USERNAME_RE, 1 to `username.size` characters of USERNAME_CHARS (both in the schema).
 *   Case-sensitive ("Bob" and "bob" are two accounts).
 * - Password: 1 to `password.size` printable ASCII characters (0x20 space to 0x7E tilde).
 * - Pattern (ListAccounts): characters of USERNAME_CHARS plus the wildcards `*` (any run, also
 *   empty) and `?` (exactly one character). Nothing is escaped; an empty pattern means `*`.
 */

import { password, PASSWORD_RULE, USERNAME_CHARS, USERNAME_CHARS_TEXT, USERNAME_RE, USERNAME_RULE } from '../protocol/schema.js';

export const PASSWORD_RE = new RegExp(`^[\\x20-\\x7e]{1,${password.size}}$`);
/** The rules in words, for error sentences (written next to the alphabet, in the schema). */
export { PASSWORD_RULE, USERNAME_RULE };
/** What a ListAccounts pattern may hold, in words (INVALID_PATTERN's sentence). */
export const PATTERN_RULE = `pattern may hold only ${USERNAME_CHARS_TEXT} and the wildcards * ?`;
const PATTERN_RE = new RegExp(`^[*?${USERNAME_CHARS}]*$`);

export function isValidUsername(name: string): boolean {
  return USERNAME_RE.test(name);
}

export function isValidPassword(password: string): boolean {
  return PASSWORD_RE.test(password);
}

/**
 * The pattern as the store takes it (`*` and `?` wildcards, every other character literal), or
 * undefined if it holds a character outside the allowed set. Because `[`, `]` and `\` are refused,
 * the result is also a valid SQLite GLOB with the same meaning.
 */
export function normalizePattern(pattern: string): string | undefined {
  if (!PATTERN_RE.test(pattern)) return undefined;
  return pattern === '' ? '*' : pattern;
}

/** The same match in JavaScript, for stores without GLOB and for tests. */
export function wildcardToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\\-]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}
