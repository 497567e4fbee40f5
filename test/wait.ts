/**
 * The one way a test waits for something no event announces: poll a condition until it holds.
 * Prefer waiting on the event itself (a promise, `once()`, `inbox().until(n)`); use this when the
 * thing is a state (a screen, a store row, a count). Its deadline only turns a hung test into a
 * sentence before ava's own timeout; it says nothing about how fast anything should be.
 */

/** Long enough for any busy machine: reaching it means the condition will never hold. */
export const WAIT_DEADLINE_MS = 90_000;

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Resolves with the first truthy value of `cond()` (sync or async). After the deadline it fails with
 * "timed out waiting for <what>"; `what` may be a function, called then (to add a screen or a log).
 */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string | (() => string) = 'a condition', deadlineMs = WAIT_DEADLINE_MS): Promise<Truthy<T>> {
  const deadline = Date.now() + deadlineMs;
  // Short pauses first (most conditions hold within a few ms), then every 20 ms.
  for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
    const v = await cond();
    if (v) return v as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
