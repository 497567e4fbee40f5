/**
 * Peer addresses, for the limits that apply per address (connections, login throttling, registration
 * rates). Loopback peers are exempt unless the operator says otherwise (`--limit-loopback`), as
 * fail2ban's default ignoreip: local tools and benchmarks are trusted.
 */

/** Whether an address is the local host's own: all of 127.0.0.0/8, ::1, or IPv4-mapped 127.x. */
export function isLoopback(addr: string | undefined): boolean {
  return addr === undefined || addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

/** The address the per-address limits count, or undefined when they do not apply to it. */
export function limitedAddress(addr: string | undefined, limitLoopback: boolean): string | undefined {
  return limitLoopback || !isLoopback(addr) ? addr : undefined;
}
