/** Wires a ChatSession to the reducer: the session reports, the reducer keeps the view state. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ChatSession, type Connect, type SessionOptions } from './session.js';
import { reduce, type Action, type State } from './state/index.js';

/**
 * The view state, its dispatch, a getter for the latest state, and the session. The state is
 * reduced synchronously into a ref, so key handlers see the effect of the previous key even when
 * several keys arrive in one chunk, before React has rendered.
 */
export function useChat(connect: Connect, init: () => State, opts: SessionOptions = {}) {
  const ref = useRef<State | null>(null);
  if (ref.current === null) ref.current = init();
  const [state, setState] = useState<State>(ref.current);
  const dispatch = useCallback((a: Action) => {
    const next = reduce(ref.current!, a);
    if (next === ref.current) return;
    ref.current = next;
    setState(next);
  }, []);
  const get = useCallback(() => ref.current!, []);
  const sessionRef = useRef<ChatSession | null>(null);
  if (sessionRef.current === null) sessionRef.current = new ChatSession(connect, dispatch, opts, { draft: () => ref.current!.compose.line.text });
  const session = sessionRef.current;
  useEffect(() => {
    session.start();
    return () => {
      void session.stop();
    };
  }, [session]);
  return { state, get, dispatch, session };
}
