/** Data loading hooks shared by the marketplace and the console. */
import type { RefObject } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

/**
 * Answers that no retry changes: 401 (no session, or it ended) and 404 (nothing there). A poll that
 * gets one stops, instead of asking again every second forever.
 */
export function isFinalAnswer(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 401 || error.status === 404);
}

/**
 * A final answer that concerns the whole page, not one thing on it: the session is gone (401), or
 * the server has no such endpoint at all (a 404 that is not the endpoint's own JSON "not found" for
 * one invocation or email) — the page is at the wrong address, or talks to the wrong server.
 */
export function isWrongAddress(error: unknown): error is ApiError {
  return isFinalAnswer(error) && (error.status === 401 || !error.answered);
}

const pollStopListeners = new Set<(error: ApiError) => void>();

/** Be told when a poll stops because the page is at the wrong address or signed out ({@link isWrongAddress}). Returns the unsubscribe. */
export function onPollStop(listener: (error: ApiError) => void): () => void {
  pollStopListeners.add(listener);
  return () => pollStopListeners.delete(listener);
}

export type Loaded<T> = { state: 'loading'; value?: T } | { state: 'ok'; value: T } | { state: 'error'; error: unknown; value?: T };

/**
 * Run `load` whenever `deps` change; the last value stays visible while a reload runs.
 *
 * @example
 * const [leed, reload] = useLoad(() => api.get<LeedView>(path), [path]);
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  // A layout effect: the request starts in the same task as the render, not a frame later.
  useLayoutEffect(() => {
    let current = true;
    setResult((previous) => (previous.value === undefined ? { state: 'loading' } : { state: 'loading', value: previous.value }));
    load().then(
      (value) => current && setResult({ state: 'ok', value }),
      (error: unknown) => current && setResult((previous) => (previous.value === undefined ? { state: 'error', error } : { state: 'error', error, value: previous.value })),
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return [result, reload];
}

/**
 * Call `load` now and every `intervalMs` while `active` (and the tab is visible), one call at a
 * time; returns the latest value and error. A final answer ({@link isFinalAnswer}: 401, 404) stops
 * the poll and is reported to {@link onPollStop} listeners; `refresh` starts it again.
 *
 * @example
 * const { value: letters } = usePoll(() => api.get<DeadLetter[]>('/local/dead-letters'), 2000);
 */
export function usePoll<T>(
  load: () => Promise<T>,
  intervalMs: number,
  options: {
    active?: boolean;
    deps?: unknown[];
    /**
     * The endpoint is the app's, not the runtime's: a server without it (the framework's example
     * has no marketplace) is still the right server, so its 404 stops this poll only, and the page
     * shows it where it asked instead of stopping every tab.
     */
    appEndpoint?: boolean;
  } = {},
): { value: T | undefined; error: unknown; refresh: () => void } {
  const active = options.active ?? true;
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (stopped) return;
      if (document.visibilityState !== 'hidden') {
        try {
          const next = await loadRef.current();
          if (!stopped) {
            setValue(next);
            setError(undefined);
          }
        } catch (e) {
          if (!stopped) setError(e);
          if (isFinalAnswer(e)) {
            const appless = options.appEndpoint === true && e.status === 404;
            if (isWrongAddress(e) && !appless) for (const listener of pollStopListeners) listener(e);
            return;
          }
        }
      }
      if (!stopped && active) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [intervalMs, active, tick, ...(options.deps ?? [])]);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { value, error, refresh };
}

/**
 * Focus `opened` when `open` turns true, and `closed` when it turns false again: a confirmation or a
 * form that takes the place of the button that opened it gives the focus back when it closes (the
 * button is new, and the focus would be left on the page's body).
 *
 * @example
 * useFocusOnToggle(confirming, keepRef, deleteRef); // "Keep it" when asked, "Delete" once answered
 */
export function useFocusOnToggle(open: boolean, opened: RefObject<HTMLElement> | undefined, closed: RefObject<HTMLElement>): void {
  const wasOpen = useRef(false);
  useLayoutEffect(() => {
    if (open) opened?.current?.focus();
    else if (wasOpen.current) closed.current?.focus();
    wasOpen.current = open;
  }, [open]);
}
