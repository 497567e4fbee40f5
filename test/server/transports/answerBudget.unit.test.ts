/** The server-wide answer budget, without sockets: who may start a request when it is full, and who resumes first. */
import test from 'ava';
import { AnswerBudget, type BudgetMember } from '../../../src/server/transports/answerBudget.js';
import { waitFor } from '../../wait.js';

function member(budget: AnswerBudget, held: number, resumed: string[], name: string): BudgetMember & { held: number } {
  const m = { held, heldBytes: () => m.held, resume: () => resumed.push(name) };
  budget.join(m);
  return m;
}

test('under the budget everyone starts; over it, only a connection holding nothing does', (t) => {
  const budget = new AnswerBudget(1000, 1);
  const resumed: string[] = [];
  const heavy = member(budget, 600, resumed, 'heavy');
  const light = member(budget, 300, resumed, 'light');
  const idle = member(budget, 0, resumed, 'idle');
  t.true(budget.mayStart(heavy, heavy.held), '900 held: under the budget');
  budget.reserved(200);
  t.false(budget.mayStart(heavy, heavy.held), '1100 held: over');
  t.false(budget.mayStart(light, light.held));
  t.true(budget.mayStart(idle, idle.held), 'holding nothing, it may always start one');
  t.is(budget.waits, 2);
});

test('when the budget frees up, the waiting connections resume lightest first', async (t) => {
  const budget = new AnswerBudget(1000, 1);
  const resumed: string[] = [];
  const heavy = member(budget, 900, resumed, 'heavy');
  const light = member(budget, 200, resumed, 'light');
  t.false(budget.mayStart(heavy, heavy.held));
  t.false(budget.mayStart(light, light.held));
  // Answers went out: both hold less now, the heavy one still more.
  heavy.held = 500;
  light.held = 100;
  budget.released();
  await waitFor(() => resumed.length === 2, 'both connections resumed');
  t.deepEqual(resumed, ['light', 'heavy']);
});

test('a budget of 0 bounds nothing', (t) => {
  const budget = new AnswerBudget(0);
  const m = member(budget, 1 << 30, [], 'big');
  t.true(budget.mayStart(m, m.held));
});
