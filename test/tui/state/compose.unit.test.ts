import test from 'ava';
import { composeBytes, composeTarget, LINE_MAX } from '../../../src/tui/state/index.js';
import { loggedIn, run, typed } from './helpers.js';

test('defect 7: a 700-character paste is kept whole and the counter says how far over it is', (t) => {
  const s = run(loggedIn(), { type: 'query', name: 'alice', show: true }, typed('x'.repeat(700)));
  t.is(s.compose.line.text.length, 700);
  t.deepEqual(composeBytes(s.compose.line.text, 'alice'), { bytes: 700, over: 188 });
  t.is(s.compose.error, null);
});

test('the counter counts wire bytes: non-ASCII text counts as its UTF-7 form', (t) => {
  t.deepEqual(composeBytes('café', 'alice'), { bytes: 8, over: 0 });
  t.is(composeBytes('/msg bob hello', null).bytes, 5);
  t.is(composeBytes('/close', null).bytes, 0, 'commands are not messages');
});

test('only a paste longer than the whole line is cut, and then it says so', (t) => {
  const s = run(loggedIn(), typed('y'.repeat(LINE_MAX + 10)));
  t.is(s.compose.line.text.length, LINE_MAX);
  t.regex(s.compose.error ?? '', /cut/);
});

test('the target: the conversation on screen, or /msg and @ addressing, or none in the inbox', (t) => {
  t.deepEqual(composeTarget('hello', 'alice'), { recipient: 'alice', content: 'hello', addressed: false, action: false });
  t.deepEqual(composeTarget('/msg bob hi there', 'alice'), { recipient: 'bob', content: 'hi there', addressed: true, action: false });
  t.deepEqual(composeTarget('@bob hi', null), { recipient: 'bob', content: 'hi', addressed: true, action: false });
  t.deepEqual(composeTarget('/me waves', 'alice'), { recipient: 'alice', content: 'waves', addressed: false, action: true });
  t.is(composeTarget('hello', null)!.recipient, null);
  t.is(composeTarget('//slash', 'alice')!.content, '/slash');
});

test('a line starting with / is a command, never a message (unless //); /msg alone is the command, not text', (t) => {
  for (const line of ['/msg', '/msg   ', '/close', '/ hello', '/', '/frob x', '  /quit']) t.is(composeTarget(line, 'alice'), null, line);
  t.is(composeBytes('/msg', 'alice').bytes, 0);
});

test('Tab completes the name at the cursor, and again cycles through the matches', (t) => {
  let s = run(loggedIn(), typed('/msg al'));
  s = run(s, { type: 'complete', names: ['alice', 'bob', 'alex'] });
  t.is(s.compose.line.text, '/msg alex ');
  s = run(s, { type: 'complete', names: ['alice', 'bob', 'alex'] });
  t.is(s.compose.line.text, '/msg alice ');
  s = run(s, typed('hi'));
  t.is(s.compose.line.text, '/msg alice hi');
});

test('Tab with no match says so and changes nothing', (t) => {
  const s = run(loggedIn(), typed('@zz'), { type: 'complete', names: ['alice'] });
  t.is(s.compose.line.text, '@zz');
  t.regex(s.compose.error ?? '', /zz/);
});

test('Up and Down walk the lines entered before, keeping the draft', (t) => {
  let s = run(loggedIn(), { type: 'query', name: 'alice', show: true }, typed('one'));
  s = run(s, { type: 'sendStarted', clientId: 1, recipient: 'alice', text: 'one', at: 0, fromCompose: true });
  s = run(s, typed('draft'), { type: 'history', dir: -1 });
  t.is(s.compose.line.text, 'one');
  s = run(s, { type: 'history', dir: 1 });
  t.is(s.compose.line.text, 'draft');
});
