/** Data loading hooks shared by the marketplace and the console. */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

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
 * time; returns the latest value and error.
 *
 * @example
 * const { value: letters } = usePoll(() => api.get<DeadLetter[]>('/local/dead-letters'), 2000);
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, options: { active?: boolean; deps?: unknown[] } = {}): { value: T | undefined; error: unknown; refresh: () => void } {
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
