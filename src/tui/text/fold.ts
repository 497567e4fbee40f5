/**
 * Search folding: what /search compares. Compatibility decomposition (NFKD: ﬁ is fi, ＡＢ is AB)
 * without the accents, then full case folding by upper- then lower-casing, which needs no locale
 * (ß is ss, every sigma is σ, İ and ı are i). Zero-width characters go, so a hidden one never hides
 * a match.
 */

const MARKS = /[\p{M}\p{Cf}]/gu;

/** `s` folded for comparison. */
export const fold = (s: string): string => s.normalize('NFKD').toUpperCase().toLowerCase().normalize('NFKD').replace(MARKS, '');

/** Whether `text` contains `query`, folded. */
export const foldIncludes = (text: string, query: string): boolean => fold(text).includes(fold(query));
