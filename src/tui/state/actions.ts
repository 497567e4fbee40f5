/** Everything that can happen to the view state: client events and key actions. */
import type { Line, LineOp } from '../lineEdit.js';
import type { Entry, IncomingMessage, PendingMessage, StoredMessage } from './types.js';

export type Pane = 'compose' | 'messages' | 'users';
export const PANES: readonly Pane[] = ['compose', 'messages', 'users'];
export type Overlay = 'none' | 'help' | 'delete' | 'quit' | 'split' | 'paste';
export type ConnStatus = 'connecting' | 'connected' | 'disconnected';
/** Every editable line in the UI. */
export type Field = 'username' | 'password' | 'compose' | 'deletePassword';

export type Action =
  | { type: 'conn'; status: ConnStatus; error?: string | null; /** host:port of the server it is about. */ server?: string }
  /** `transient`: it describes a moment (reconnected, /names) and goes after a while (see App). */
  | { type: 'notice'; text: string | null; transient?: boolean }
  | { type: 'error'; text: string | null }
  | { type: 'edit'; field: Field; op: LineOp }
  | { type: 'loginField' }
  | { type: 'toggleRegister' }
  | { type: 'loginStarted' }
  | { type: 'loginFailed'; error: string }
  /**
   * A login. For a fresh one (not `resumed`): `history`, what the history file keeps for this
   * account; `outbox`, its messages the server has not accepted yet; `cleared`, per view ('' the
   * inbox) the server id /clear hid messages up to; `draft`, a line typed in a session that was
   * taken over; `kept`, whether pending messages are on disk (a history file is open).
   */
  | {
      type: 'loggedIn';
      me: string;
      undelivered: number;
      resumed?: boolean;
      history?: readonly StoredMessage[];
      outbox?: readonly PendingMessage[];
      cleared?: Readonly<Record<string, number>>;
      draft?: string;
      kept?: boolean;
    }
  | { type: 'loggedOut'; reason: string }
  | { type: 'messages'; messages: readonly IncomingMessage[]; live: boolean }
  | { type: 'fetching'; on: boolean }
  | { type: 'waiting'; count: number }
  | { type: 'focus'; pane: Pane }
  | { type: 'focusNext'; dir: 1 | -1 }
  | { type: 'overlay'; overlay: Overlay }
  | { type: 'usersLoaded'; total: number; names: readonly string[] }
  | { type: 'userMove'; delta: number }
  | { type: 'usersPage'; delta: number }
  | { type: 'usersFilter'; pattern: string }
  /** Someone joined, left, was removed from or took over `group`: its member list is out of date. */
  | { type: 'membersChanged'; group: string }
  /** Open a conversation with `name`; `show` also puts it on screen. */
  | { type: 'query'; name: string; show: boolean }
  /** Put a view on screen: a conversation, or null for the all-messages inbox. */
  | { type: 'view'; view: string | null }
  | { type: 'viewNext'; dir: 1 | -1 }
  | { type: 'viewNextUnread' }
  /** Alt-1..9: the n-th window (1 = inbox). */
  | { type: 'viewNumber'; n: number }
  | { type: 'closeView' }
  | { type: 'clearView' }
  | { type: 'layout'; usersPageSize: number; messageRows: number; messageWidth: number }
  | { type: 'scroll'; lines: number }
  | { type: 'scrollPage'; dir: -1 | 1 }
  | { type: 'scrollTo'; where: 'top' | 'bottom' }
  | { type: 'history'; dir: -1 | 1 }
  /**
   * Tab: complete the word at the cursor from these names, or go on to the next match of the last
   * Tab. `at`: the line when Tab was pressed (a late answer for a line changed since is ignored);
   * `more`: matching accounts the server did not list.
   */
  | { type: 'complete'; names: readonly string[]; at?: Line; more?: number }
  | { type: 'composeError'; text: string | null }
  | { type: 'setCompose'; text: string }
  /** `fromCompose`: the compose line was this message (clear it, remember it in the line history). */
  | ({ type: 'sendStarted'; fromCompose: boolean } & PendingMessage)
  | { type: 'sendAccepted'; clientId: number; id: number }
  | { type: 'sendFailed'; clientId: number; error: string }
  /** Our messages with these ids reached the recipient's client (a Delivered push). */
  | { type: 'delivered'; ids: readonly number[] }
  /** Who is online: `online` (a Presence answer) replaces the known set, then `changes` (PresenceChanged pushes) update it. */
  | { type: 'presence'; online?: readonly string[]; changes?: ReadonlyArray<{ name: string; online: boolean }> }
  | { type: 'offerSplit'; recipient: string; parts: readonly string[]; action?: boolean }
  /** Enter on a line holding pasted line breaks: send it as one message, one per line, or not at all? */
  | { type: 'offerPaste'; recipient: string; lines: readonly string[]; action?: boolean }
  | { type: 'search'; query: string; results?: readonly Entry[] }
  | { type: 'searchClose' }
  | { type: 'deleteStep'; step: 'password' | 'confirm' | 'busy'; waiting?: number }
  | { type: 'deleteFailed'; error: string }
  | { type: 'accountDeleted'; name: string }
  /** `max`: the last first-line that still fills the overlay. */
  | { type: 'helpScroll'; delta: number; max: number }
  | { type: 'redraw' };
