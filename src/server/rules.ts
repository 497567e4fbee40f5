/**
 * Account and input rules, checked by the service before anything reaches the store.
 *
 * - Username: 1 to 16 characters from [A-Za-z0-9_.-]. Case-sensitive ("Bob" and "bob" are two accounts).
 * - Password: 1 to 64 printable ASCII characters (0x20 space to 0x7E tilde).
 * - Pattern (ListAccounts): characters from [A-Za-z0-9_.-] plus the wildcards `*` (any run, also
 *   empty) and `?` (exactly one character). Nothing is escaped; an empty pattern means `*`.
 */

export const USERNAME_RE = /^[A-Za-z0-9_.-]{1,16}$/;
export const PASSWORD_RE = /^[\x20-\x7e]{1,64}$/;
const PATTERN_RE = /^[A-Za-z0-9_.\-*?]*$/;

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
