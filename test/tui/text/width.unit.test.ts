import test from 'ava';
import { fc, testProp } from '@fast-check/ava';
import { fieldView } from '../../../src/tui/text/field.js';
import { textWidth } from '../../../src/tui/text/width.js';

const shown = (v: ReturnType<typeof fieldView>) => v.before + v.at + v.after;

test('defect 8: wide (CJK) text in the input never takes more columns than the field has', (t) => {
  const text = '日本語のテキストはとても長いです、本当に';
  for (let cursor = 0; cursor <= text.length; cursor++) {
    for (const width of [2, 3, 5, 10, 17]) {
      const v = fieldView(text, cursor, width);
      t.true(textWidth(shown(v)) <= width, `cursor ${cursor}, width ${width}: ${shown(v)}`);
      t.true(v.at !== '', 'the cursor is shown');
    }
  }
});

test('the cursor is always in view, on the character it is before', (t) => {
  const text = 'abc日本def';
  const v = fieldView(text, 3, 4);
  t.is(v.at, '日');
  t.is(fieldView(text, text.length, 4).at, ' ');
  t.is(fieldView('', 0, 4).at, ' ');
});

testProp(
  'any text, cursor and width: the field fits its width and shows the cursor',
  [fc.string({ unit: 'grapheme' }), fc.nat(), fc.integer({ min: 2, max: 40 })],
  (t, text, c, width) => {
    const v = fieldView(text, c % (text.length + 1), width);
    t.true(textWidth(shown(v)) <= width);
    t.not(v.at, '');
  },
);

test('a masked field shows one * per character', (t) => {
  const v = fieldView('pässwörd', 8, 20, true);
  t.is(shown(v), '******** ');
});

test('a line break in a pasted draft is shown as ↵', (t) => {
  t.is(shown(fieldView('one\ntwo', 7, 20)), 'one↵two ');
});
