/** Everything that can happen to the view state: client events and key actions. */
import type { LineOp } from '../lineEdit.js';
import type { Entry, IncomingMessage, StoredMessage } from './types.js';

export type Pane = 'compose' | 'messages' | 'users';
export const PANES: readonly Pane[] = ['compose', 'messages', 'users'];
export type Overlay = 'none' | 'help' | 'delete' | 'quit' | 'split';
export type ConnStatus = 'connecting' | 'connected' | 'disconnected';
/** Every editable line in the UI. */
export type Field = 'username' | 'password' | 'compose' | 'deletePassword';

export type Action =
  | { type: 'conn'; status: ConnStatus; error?: string | null; /** host:port of the server it is about. */ server?: string }
  | { type: 'notice'; text: string | null }
  | { type: 'error'; text: string | null }
  | { type: 'edit'; field: Field; op: LineOp }
  | { type: 'loginField' }
  | { type: 'toggleRegister' }
  | { type: 'loginStarted' }
  | { type: 'loginFailed'; error: string }
  /** `history`: what the history file keeps for this account (fresh logins only). */
  | { type: 'loggedIn'; me: string; undelivered: number; resumed?: boolean; history?: readonly StoredMessage[] }
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
  /** Tab: complete the word at the cursor from these names. */
  | { type: 'complete'; names: readonly string[] }
  | { type: 'composeError'; text: string | null }
  | { type: 'setCompose'; text: string }
  /** `fromCompose`: the compose line was this message (clear it, remember it in the line history). */
  | { type: 'sendStarted'; clientId: number; recipient: string; text: string; at: number; fromCompose: boolean }
  | { type: 'sendAccepted'; clientId: number; id: number }
  | { type: 'sendFailed'; clientId: number; error: string }
  /** Our messages with these ids reached the recipient's client (a Delivered push). */
  | { type: 'delivered'; ids: readonly number[] }
  /** Who is online: `online` (a Presence answer) replaces the known set, then `changes` (PresenceChanged pushes) update it. */
  | { type: 'presence'; online?: readonly string[]; changes?: ReadonlyArray<{ name: string; online: boolean }> }
  | { type: 'offerSplit'; recipient: string; parts: readonly string[] }
  | { type: 'search'; query: string; results?: readonly Entry[] }
  | { type: 'searchClose' }
  | { type: 'deleteStep'; step: 'password' | 'confirm' | 'busy'; waiting?: number }
  | { type: 'deleteFailed'; error: string }
  | { type: 'accountDeleted' }
  /** `max`: the last first-line that still fills the overlay. */
  | { type: 'helpScroll'; delta: number; max: number }
  | { type: 'redraw' };
