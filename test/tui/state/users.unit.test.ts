import test from 'ava';
import { selectedRow } from '../../../src/tui/state/index.js';
import { loggedIn, run } from './helpers.js';

test('defect 3: the selected user stays the same person when names sort in before them', (t) => {
  let s = run(loggedIn(), { type: 'usersLoaded', total: 3, names: ['alice', 'bob', 'carol'] }, { type: 'userMove', delta: 1 });
  t.is(s.users.selected, 'alice');
  s = run(s, { type: 'usersLoaded', total: 5, names: ['aaron', 'alex', 'alice', 'bob', 'carol'] });
  t.is(s.users.selected, 'alice');
  t.is(selectedRow(s.users), 2);
});

test('a selected user no longer on the page is not replaced by whoever took the row', (t) => {
  let s = run(loggedIn(), { type: 'usersLoaded', total: 2, names: ['alice', 'bob'] }, { type: 'userMove', delta: 1 });
  s = run(s, { type: 'usersLoaded', total: 2, names: ['alex', 'bob'] });
  t.is(s.users.selected, 'alice');
  t.is(selectedRow(s.users), -1);
});

test('defect 11: after a resize the page shows the selected user', (t) => {
  let s = run(loggedIn(), { type: 'layout', usersPageSize: 5, messageRows: 10, messageWidth: 60 });
  s = run(s, { type: 'usersPage', delta: 0 }, { type: 'usersLoaded', total: 20, names: ['u05', 'u06', 'u07', 'u08', 'u09'] });
  s = run(s, { type: 'usersPage', delta: 1 }, { type: 'usersLoaded', total: 20, names: ['u05', 'u06', 'u07', 'u08', 'u09'] });
  s = run(s, { type: 'userMove', delta: 1 }, { type: 'userMove', delta: 1 }, { type: 'userMove', delta: 1 });
  t.is(s.users.selected, 'u07');
  s = run(s, { type: 'layout', usersPageSize: 3, messageRows: 10, messageWidth: 60 });
  // u07 is the 8th name: with 3 a page it is on page 3 (index 2).
  t.is(s.users.page, 2);
  t.is(s.users.selected, 'u07');
});

test('Down past the last row turns the page and selects its first name when it arrives', (t) => {
  let s = run(loggedIn(), { type: 'usersLoaded', total: 7, names: ['a', 'b', 'c', 'd', 'e'] });
  s = run(s, ...Array.from({ length: 5 }, () => ({ type: 'userMove' as const, delta: 1 })));
  t.is(s.users.selected, 'e');
  s = run(s, { type: 'userMove', delta: 1 });
  t.is(s.users.page, 1);
  s = run(s, { type: 'usersLoaded', total: 7, names: ['f', 'g'] });
  t.is(s.users.selected, 'f');
});

test('/who sets the filter and goes back to the first page', (t) => {
  const s = run(loggedIn(), { type: 'usersLoaded', total: 50, names: ['a'] }, { type: 'usersPage', delta: 2 }, { type: 'usersFilter', pattern: ' al ' });
  t.is(s.users.pattern, 'al');
  t.is(s.users.page, 0);
  t.false(s.users.loaded);
});

