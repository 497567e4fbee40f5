import test from 'ava';
import { fold, foldIncludes } from '../../../src/tui/text/fold.js';

test('defect 13: search folds case and accents: CAFÉ, cafe and café all find café', (t) => {
  for (const q of ['CAFÉ', 'cafe', 'café', 'Cafe\u0301', 'ＣＡＦＥ']) t.true(foldIncludes('un café, merci', q), q);
  t.false(foldIncludes('un thé', 'cafe'));
});

test('case folding does not depend on the locale: ß is ss, final sigma is sigma, dotted and dotless I are i', (t) => {
  t.is(fold('Straße'), 'strasse');
  t.is(fold('ΟΔΟΣ'), fold('οδος'));
  t.is(fold('οδος'), fold('οδoς'.replace('o', 'ο')));
  t.is(fold('İstanbul'), 'istanbul');
  t.is(fold('ıi'), 'ii');
  t.is(fold('ﬁle'), 'file');
});

test('zero-width characters do not hide a match', (t) => {
  t.true(foldIncludes('ca\u200bfe au lait', 'cafe'));
  t.true(foldIncludes('cafe', 'ca\u200bfe'));
});

test('an empty query matches everything; a lone surrogate does not break folding', (t) => {
  t.true(foldIncludes('abc', ''));
  t.notThrows(() => fold('a\ud834b'));
  t.true(foldIncludes('a\ud834b', 'b'));
});
