/** The overlays over the main screen: help, delete account, quit with a draft or unsent messages, split a long message, send pasted lines. */
import { password as passwordField } from '../../protocol/schema.js';
import { editLine, emptyLine, type Line } from '../lineEdit.js';
import type { Action, Overlay } from './actions.js';

export interface DialogState {
  readonly overlay: Overlay;
  readonly del: {
    readonly password: Line;
    readonly step: 'password' | 'confirm' | 'busy';
    readonly waiting: number;
    readonly error: string | null;
  };
  /** The parts a too-long message would be sent as, waiting for y / n. */
  readonly split: { readonly recipient: string; readonly parts: readonly string[]; readonly action?: boolean } | null;
  /** Pasted lines waiting to be sent as one message, one per line, or not at all. */
  readonly paste: { readonly recipient: string; readonly lines: readonly string[]; readonly action?: boolean } | null;
  /** First help line shown (the overlay clamps it to what fits). */
  readonly helpScroll: number;
}

const initialDel: DialogState['del'] = { password: emptyLine, step: 'password', waiting: 0, error: null };
export const initialDialogs: DialogState = { overlay: 'none', del: initialDel, split: null, paste: null, helpScroll: 0 };

export function dialogs(d: DialogState, a: Action): DialogState {
  switch (a.type) {
    case 'overlay':
      return {
        ...d,
        overlay: a.overlay,
        del: a.overlay === 'delete' ? initialDel : d.del,
        split: a.overlay === 'split' ? d.split : null,
        paste: a.overlay === 'paste' ? d.paste : null,
        helpScroll: 0,
      };
    case 'helpScroll':
      return { ...d, helpScroll: Math.max(0, Math.min(a.max, d.helpScroll + a.delta)) };
    case 'offerSplit':
      return { ...d, overlay: 'split', split: { recipient: a.recipient, parts: a.parts, ...(a.action ? { action: true } : {}) } };
    case 'offerPaste':
      return { ...d, overlay: 'paste', paste: { recipient: a.recipient, lines: a.lines, ...(a.action ? { action: true } : {}) } };
    case 'edit':
      return a.field === 'deletePassword' ? { ...d, del: { ...d.del, password: editLine(d.del.password, a.op, passwordField.size), error: null } } : d;
    case 'deleteStep':
      return { ...d, del: { ...d.del, step: a.step, waiting: a.waiting ?? d.del.waiting, error: null } };
    case 'deleteFailed':
      return { ...d, del: { ...d.del, step: 'password', password: emptyLine, error: a.error } };
    case 'loggedIn':
      return a.resumed ? d : initialDialogs;
    case 'loggedOut':
    case 'accountDeleted':
      return initialDialogs;
    default:
      return d;
  }
}
