/**
 * Hand-written from the scale-out runs (bench/scaleout.ts) and the PostgreSQL store's code: what
 * limits several nodes on one PostgreSQL database, and what a second machine would change. Update
 * when they change.
 */
export const WHAT_LIMITS_SCALE_OUT = `#### What limits it

(to be written from the measured runs)`;
