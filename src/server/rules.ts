/**
 * Account and input rules, checked by the service before anything reaches the store. Lengths are the
 * widths of the schema's fields (src/protocol/schema.ts), never restated here.
 *
 * - Username: 1 to `username.size` characters from [A-Za-z0-9_.-]. Case-sensitive ("Bob" and "bob"
 *   are two accounts).
 * - Password: 1 to `password.size` printable ASCII characters (0x20 space to 0x7E tilde).
 * - Pattern (ListAccounts): characters from [A-Za-z0-9_.-] plus the wildcards `*` (any run, also
 *   empty) and `?` (exactly one character). Nothing is escaped; an empty pattern means `*`.
 */

import { password, username, USERNAME_CHARS, USERNAME_RE } from '../protocol/schema.js';

export const PASSWORD_RE = new RegExp(`^[\\x20-\\x7e]{1,${password.size}}$`);
/** The rules in words, for error sentences. */
export const USERNAME_RULE = `1-${username.size} characters of A-Z a-z 0-9 _ . -`;
export const PASSWORD_RULE = `1-${password.size} printable ASCII characters`;
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
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.\-]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}
