/**
 * Field kinds a message can be made of. Each kind knows its width on the wire; nothing else in the
 * code base states a width. Numbers are big-endian.
 */

export interface AsciiField {
  readonly kind: 'ascii';
  /** Fixed width in bytes; the value is NUL-padded to it. */
  readonly size: number;
  /** Printable ASCII only (0x20-0x7E): no control byte of any kind, so no terminal escape sequence. */
  readonly printable?: true;
}
export interface UIntField {
  readonly kind: 'u8' | 'u16' | 'u32';
  readonly size: 1 | 2 | 4;
}
export interface F64Field {
  readonly kind: 'f64';
  readonly size: 8;
}
export interface StructField<S extends Fields = Fields> {
  readonly kind: 'struct';
  readonly fields: S;
}
export interface ListField<I extends ItemField = ItemField> {
  readonly kind: 'list';
  /** Lists are prefixed by a u16 element count. */
  readonly item: I;
}

export type ScalarField = AsciiField | UIntField | F64Field;
export type ItemField = ScalarField | StructField;
export type Field = ItemField | ListField;
export type Fields = { readonly [name: string]: Field };

/** NUL-padded ASCII of exactly `size` bytes on the wire (Python struct `Ns`). */
export const ascii = <N extends number>(size: N) => ({ kind: 'ascii', size }) as const;
/** Like ascii(size), but printable characters only (0x20-0x7E; no tab, newline or escape): text shown to a user. */
export const text = <N extends number>(size: N) => ({ kind: 'ascii', size, printable: true }) as const;
export const u8 = { kind: 'u8', size: 1 } as const;
export const u16 = { kind: 'u16', size: 2 } as const;
export const u32 = { kind: 'u32', size: 4 } as const;
/** IEEE-754 double, used for millisecond timestamps (exact to 2^53). */
export const f64 = { kind: 'f64', size: 8 } as const;
export const struct = <S extends Fields>(fields: S) => ({ kind: 'struct', fields }) as const;
/** A u16 count followed by that many items. Only allowed as the last field of a message. */
export const list = <I extends ItemField>(item: I) => ({ kind: 'list', item }) as const;

/** The largest value an unsigned field holds (0xFFFFFFFF for u32). */
export function maxValue(f: UIntField): number {
  return 2 ** (8 * f.size) - 1;
}

/** Width of the u16 element count in front of a list. */
export const LIST_COUNT_SIZE = 2;
export const LIST_MAX_ITEMS = 0xffff;

/** The TypeScript value a field decodes to. */
export type ValueOf<F> = F extends AsciiField
  ? string
  : F extends UIntField | F64Field
    ? number
    : F extends StructField<infer S>
      ? StructValue<S>
      : F extends ListField<infer I>
        ? ValueOf<I>[]
        : never;

export type StructValue<S extends Fields> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/** Fixed width of a scalar or struct item (lists have no fixed width). */
export function fixedSize(f: ItemField): number {
  if (f.kind === 'struct') {
    let n = 0;
    for (const sub of Object.values(f.fields)) {
      if (sub.kind === 'list') throw new Error('a list cannot sit inside a struct');
      n += fixedSize(sub);
    }
    return n;
  }
  return f.size;
}
