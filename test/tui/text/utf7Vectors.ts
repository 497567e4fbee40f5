/** The UTF-7 test vectors written by Python's 'utf-7' codec, shared with the other implementations. */
import { readFileSync } from 'node:fs';

export interface Vector {
  text: string;
  python_utf7: string;
  encoded_bytes: number;
}

// Shared with the other implementations: it lives beside the clone (../shared), as in CI.
export const vectors = (
  JSON.parse(readFileSync(new URL('../../../../shared/vectors/utf7-python.json', import.meta.url), 'utf8')) as { vectors: Vector[] }
).vectors;
