import test from 'ava';
import { ANY_REQUEST_ERRORS, BEFORE_LOGIN, FRAME_ERRORS, REQUEST_NAMES, requestErrors, undeclaredAnswer } from '../../src/protocol/answers.js';
import { ErrorCode, ERRORS, type ErrorCodeName } from '../../src/protocol/errors.js';
import { schema, USERNAME_CHARS_TEXT, USERNAME_RE, USERNAME_RULE, username, type MessageDef } from '../../src/protocol/schema.js';

const defs = schema as Record<string, MessageDef>;
const codes = Object.keys(ERRORS) as ErrorCodeName[];

test('error codes are unique numbers, and ErrorCode is the table read by name', (t) => {
  const numbers = codes.map((k) => ERRORS[k].code);
  t.is(new Set(numbers).size, numbers.length);
  for (const k of codes) t.is(ErrorCode[k], ERRORS[k].code, k);
});

test('every request says whether it needs a login and lists its errors; no other message does', (t) => {
  for (const [name, def] of Object.entries(defs)) {
    if (def.dir !== 'request') {
      t.is(def.errors, undefined, name);
      t.is(def.beforeLogin, undefined, name);
      continue;
    }
    t.true(Array.isArray(def.errors), `${name} lists its errors (empty when only those of any request)`);
    t.is(new Set(def.errors).size, def.errors!.length, `${name} lists each error once`);
  }
});

test("a request's own errors are request errors; those of any request or frame are not repeated", (t) => {
  for (const name of REQUEST_NAMES) {
    for (const code of defs[name]!.errors ?? []) t.is(ERRORS[code].scope, 'request', `${name}: ${code}`);
  }
});

test('every request error is answered by some request, and NOT_LOGGED_IN by every request that needs a login', (t) => {
  for (const code of codes.filter((k) => ERRORS[k].scope === 'request')) {
    t.true(
      REQUEST_NAMES.some((n) => defs[n]!.errors?.includes(code)),
      `${code} is listed by no request`,
    );
  }
  for (const name of REQUEST_NAMES) {
    if (!BEFORE_LOGIN.has(name)) t.true(defs[name]!.errors!.includes('NOT_LOGGED_IN'), name);
  }
});

test('the answers a request may get: its responses, its errors, those of any request and the frame errors', (t) => {
  const error = (code: ErrorCodeName) => ({ type: 'Error' as const, code: ErrorCode[code], text: 'x' });
  t.is(undeclaredAnswer('Send', { type: 'Accepted', messageId: 1 }), undefined);
  t.is(undeclaredAnswer('Send', error('MAILBOX_FULL')), undefined);
  t.is(undeclaredAnswer('Ping', error(ANY_REQUEST_ERRORS[0]!)), undefined);
  t.is(undeclaredAnswer('Ping', error(FRAME_ERRORS[0]!)), undefined);
  t.true(requestErrors('Send').includes('SHUTTING_DOWN'));
  t.regex(undeclaredAnswer('Ping', error('MAILBOX_FULL'))!, /Ping was answered Error MAILBOX_FULL/);
  t.regex(undeclaredAnswer('Ping', { type: 'Ok' })!, /Ping was answered Ok/);
  t.regex(undeclaredAnswer('Ping', { type: 'Error', code: 9999, text: 'x' })!, /UNKNOWN_9999/);
});

test('the username rule in words names exactly the characters USERNAME_RE accepts', (t) => {
  const described = new Set<string>();
  for (const part of USERNAME_CHARS_TEXT.split(' ')) {
    if (part.length === 3 && part[1] === '-') {
      for (let c = part.charCodeAt(0); c <= part.charCodeAt(2); c++) described.add(String.fromCharCode(c));
    } else described.add(part);
  }
  for (let c = 0x20; c < 0x7f; c++) {
    const ch = String.fromCharCode(c);
    t.is(USERNAME_RE.test(ch), described.has(ch), JSON.stringify(ch));
  }
  t.true(USERNAME_RULE.includes(`1-${username.size}`));
  t.true(USERNAME_RULE.endsWith(USERNAME_CHARS_TEXT));
});
