/**
 * The App's one input hook, in place of ink's useInput: ink reads the terminal (raw mode) and splits
 * what it reads at escape sequences; KeyReader makes keys and pastes of the pieces, in order.
 * (useInput would hand a bracketed paste over as the text "[200~" and its lines as typed keys.)
 */
import { useStdin } from 'ink';
import { useEffect, useRef } from 'react';
import { KeyReader, type KeyEvent } from './reader.js';

/** Calls `handle` with every key and paste, in order, for as long as the component is mounted. */
export function useKeys(handle: (e: KeyEvent) => void): void {
  const { setRawMode, internal_eventEmitter: events } = useStdin();
  const latest = useRef(handle);
  latest.current = handle;
  useEffect(() => {
    setRawMode(true);
    const reader = new KeyReader((e) => latest.current(e));
    const onInput = (piece: string) => reader.push(piece);
    events.on('input', onInput);
    return () => {
      events.off('input', onInput);
      setRawMode(false);
    };
  }, [setRawMode, events]);
}
