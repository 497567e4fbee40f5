/**
 * Accounts: register, log in (taking over the account's other session), log out, delete, and the
 * directory listing. Requests that hash a password are asynchronous; the cheap checks (a taken name,
 * a throttled turn) come before the hash, so a flood of them costs no hashing.
 */
import type { PasswordHasher } from './auth.js';
import { limitedAddress } from './address.js';
import type { Presence } from './presence.js';
import { isValidPassword, isValidUsername, normalizePattern, PASSWORD_RULE, PATTERN_RULE, USERNAME_RULE } from './rules.js';
import { accountOf, ServiceError, storageError, type Core, type Reply, type Session } from './session.js';
import type { Account, Binding, DeleteResult, OpResult } from './store/store.js';
import { StoreCounters } from './storeCounters.js';
import { DEFAULT_THROTTLE, MemoryCounters, Throttle, type ThrottleOptions } from './throttle.js';

/** What a successful Login found: the count waiting, the receipts kept while offline, and whether another node took it over meanwhile. */
export interface LoginResult {
  undelivered: number;
  receipts: { senderId: number; ids: number[] };
  overtaken: boolean;
}

/**
 * How far back a Login pushes its account's receipts again: a sender whose connection died just as
 * receipts were pushed to it (and so before it noticed, within the keep-alive's three intervals)
 * gets them at its next Login. Repeats are harmless: a receipt says a message was delivered.
 */
export const RECEIPT_REPLAY_MS = 2 * 60_000;

export interface AccountsOptions {
  throttle?: Partial<ThrottleOptions>;
  limitLoopback?: boolean;
  /** Shared store: whether a login on another node has claimed the account after `claim` (nodeEvents.ts). */
  overtaken(accountId: number, claim: number): boolean;
}

export class Accounts {
  private readonly throttle: Throttle;
  /** Throttled Logins waiting for their turn: woken at shutdown. */
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly core: Core,
    private readonly hasher: PasswordHasher,
    private readonly presence: Presence,
    private readonly opts: AccountsOptions,
  ) {
    // Several nodes: the counts live in the database, so every node applies the same ones.
    this.throttle = new Throttle({ ...DEFAULT_THROTTLE, ...opts.throttle }, core.shared ? new StoreCounters(core.queue) : new MemoryCounters());
  }

  /** Creates an account. */
  async register(s: Session, username: string, password: string): Promise<void> {
    checkCredentialsShape(username, password);
    const { directory, shared, queue, log } = this.core;
    // The cheap check first: a flood of Registers for a taken name costs no hashing.
    if (directory.has(username) && !(shared && (await this.deletedElsewhere(username)))) {
      throw new ServiceError('USERNAME_TAKEN', `username ${username} is taken`);
    }
    if (!(await this.throttle.takeRegistration(this.address(s)))) {
      throw new ServiceError('RATE_LIMITED', 'too many registrations from your address; try again later');
    }
    const hash = await this.hasher.hash(password, s);
    const id = await queue.run<number | undefined>({ op: 'createAccount', name: username, hash });
    if (id === undefined) throw new ServiceError('USERNAME_TAKEN', `username ${username} is taken`);
    directory.set(username, id);
    s.proven = true;
    log.info({ account: id, username }, 'account registered');
  }

  /** Logs the session in, taking over any other live session of the account. */
  async login(s: Session, username: string, password: string): Promise<LoginResult> {
    const account = await this.check(s, username, password);
    const { online, shared, queue } = this.core;
    // Presence changes only when the account gets its first live session: a takeover changes nothing.
    const wasOnline = online.has(account.id);
    this.unbind(s, s.accountId !== account.id);
    if (s.closed) throw new ServiceError('NOT_LOGGED_IN', 'connection closed');
    const previous = online.get(account.id);
    if (previous && previous !== s) this.takeOver(previous);
    s.accountId = account.id;
    s.username = account.name;
    online.set(account.id, s);
    if (!wasOnline && shared === undefined) this.presence.announce(account.name, true);
    // Shared store: the session is the account's one live session on every node once bound.
    const bind = shared && queue.run<Binding>({ op: 'bindSession', accountId: account.id, name: account.name });
    // Receipts kept while the account was offline leave the store as they are read; those of the
    // last minutes come again, in case its previous connection died with them on the way.
    const receiptsFailed = (err: unknown): number[] => {
      this.core.log.error({ err, account: account.id }, 'reading receipts failed');
      return [];
    };
    const [undelivered, kept, recent, binding] = await Promise.all([
      queue.run<number>({ op: 'count', recipientId: account.id }),
      queue.run<number[]>({ op: 'takeReceipts', senderId: account.id }).catch(receiptsFailed),
      queue.run<number[]>({ op: 'recentReceipts', senderId: account.id, since: Date.now() - RECEIPT_REPLAY_MS }).catch(receiptsFailed),
      bind,
    ]).catch((err: unknown) => {
      if (s.accountId === account.id) this.unbind(s, !wasOnline);
      throw err;
    });
    let overtaken = false;
    if (binding) {
      if (s.accountId === account.id) {
        s.claim = binding.claim;
        // A login on another node may have overtaken this one while it was being bound.
        overtaken = this.opts.overtaken(account.id, binding.claim);
      }
      if (!binding.wasOnline && !wasOnline) this.presence.announce(account.name, true);
      this.core.ids.loggedIn(binding.newestBlock);
    }
    s.proven = true;
    const receipts = [...new Set([...kept, ...recent])].sort((a, b) => a - b);
    return { undelivered, receipts: { senderId: account.id, ids: receipts }, overtaken };
  }

  /** Ends the session's login; the connection stays. NOT_LOGGED_IN when there is none. */
  logout(s: Session): void {
    accountOf(s);
    this.unbind(s);
  }

  /** Deletes the session's account; asks for confirmation first if messages wait. */
  async deleteAccount(s: Session, password: string, confirm: boolean): Promise<DeleteResult> {
    const me = accountOf(s);
    const name = s.username ?? '';
    const { queue, directory, queued, log } = this.core;
    const account = await queue.run<Account | undefined>({ op: 'findAccount', name });
    if (!account || account.id !== me || !(await this.hasher.verify(password, account.hash, s))) {
      throw new ServiceError('BAD_CREDENTIALS', 'wrong password');
    }
    const r = await queue.run<DeleteResult>({ op: 'deleteAccount', accountId: me, force: confirm });
    if (r.deleted) {
      if (directory.get(name) === me) directory.delete(name);
      queued.delete(me);
      this.unbind(s);
      log.info({ account: me }, 'account deleted');
    }
    return r;
  }

  /** One sorted page of live accounts matching a wildcard pattern, with the total. */
  listAccounts(s: Session, pattern: string, offset: number, limit: number, reply: Reply): void {
    accountOf(s);
    const glob = normalizePattern(pattern);
    if (glob === undefined) {
      throw new ServiceError('INVALID_PATTERN', PATTERN_RULE);
    }
    const max = this.core.limits.maxListLimit;
    const n = limit === 0 || limit > max ? max : limit;
    this.core.queue.add({ op: 'list', pattern: glob, offset, limit: n }, (r: OpResult) => {
      if (r.ok) reply({ type: 'AccountList', ...(r.value as { total: number; names: string[] }) });
      else {
        this.core.log.error({ err: r.error, session: s.id }, 'list failed');
        reply(storageError(r.error));
      }
    });
  }

  /** Logs a session out because its account logged in elsewhere (another connection, or another node). */
  takeOver(s: Session): void {
    this.core.log.info({ account: s.accountId, session: s.id }, 'session taken over');
    this.unbind(s, false);
    s.sink.push({ type: 'LoggedInElsewhere' });
  }

  /** Logs the session out; `announce`: tell the account's watchers it went offline (not on a takeover). */
  unbind(s: Session, announce = true): void {
    this.presence.setWatch(s, []);
    const { online, shared, queue, log } = this.core;
    if (s.accountId !== undefined && online.get(s.accountId) === s) {
      online.delete(s.accountId);
      if (announce) this.presence.announce(s.username!, false);
      // Not on a takeover: the new session's bind replaces this one's everywhere.
      if (announce && shared && s.claim !== undefined) {
        queue.add({ op: 'unbindSession', accountId: s.accountId, claim: s.claim }, (r) => {
          if (!r.ok) log.warn({ err: r.error }, 'ending a session in the database failed (its node lease ends it)');
        });
      }
    }
    s.claim = undefined;
    s.accountId = undefined;
    s.username = undefined;
    s.delivered.clear();
    s.groupDelivered = undefined;
  }

  /** At shutdown: throttled Logins stop waiting (they are then refused with SHUTTING_DOWN). */
  wakeSleepers(): void {
    for (const wake of this.sleepers) wake();
  }

  /** The account a Login names, if its password is right; throttled after failures (throttle.ts). */
  private async check(s: Session, username: string, password: string): Promise<Account> {
    // A refusal looks the same whatever its reason.
    const address = this.address(s);
    const turn = await this.throttle.loginTurn(username, address);
    if (turn.waitMs > 0 || !turn.check) this.core.metrics.loginThrottled();
    if (turn.waitMs > 0) await this.sleep(turn.waitMs);
    if (this.core.closing) throw new ServiceError('SHUTTING_DOWN', 'the server is shutting down');
    if (!turn.check) throw new ServiceError('BAD_CREDENTIALS', 'wrong username or password');
    const { queue, shared, directory } = this.core;
    const account = isValidUsername(username) ? await queue.run<Account | undefined>({ op: 'findAccount', name: username }) : undefined;
    // Shared store: an account registered on another node a moment ago may not be in the directory yet.
    if (shared && account !== undefined && !directory.has(account.name)) directory.set(account.name, account.id);
    const ok = await this.hasher.verify(password, account?.hash, s);
    // The account may have been deleted while the hash ran.
    if (!ok || !account || directory.get(account.name) !== account.id) {
      // Recorded before the answer: the next Login, on any node, waits for it.
      await this.throttle.loginResult(turn, username, address, false);
      throw new ServiceError('BAD_CREDENTIALS', 'wrong username or password');
    }
    await this.throttle.loginResult(turn, username, address, true);
    return account;
  }

  /** Shared store: whether a name the directory holds was deleted on another node (its wake-up may still be on the way). */
  private async deletedElsewhere(name: string): Promise<boolean> {
    if ((await this.core.queue.run<Account | undefined>({ op: 'findAccount', name })) !== undefined) return false;
    this.core.directory.delete(name);
    return true;
  }

  private address(s: Session): string | undefined {
    return limitedAddress(s.address, this.opts.limitLoopback ?? false);
  }

  /** Waits `ms` on the throttle's clock, or less if the server begins shutting down. */
  private async sleep(ms: number): Promise<void> {
    const w = this.throttle.wait(ms);
    this.sleepers.add(w.cancel);
    await w.done;
    this.sleepers.delete(w.cancel);
  }
}

function checkCredentialsShape(username: string, password: string): void {
  if (!isValidUsername(username)) throw new ServiceError('INVALID_USERNAME', `username must be ${USERNAME_RULE}`);
  if (!isValidPassword(password)) throw new ServiceError('INVALID_PASSWORD', `password must be ${PASSWORD_RULE}`);
}
