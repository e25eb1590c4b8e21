/**
 * What every page of the marketplace shares: the signed-in user (from `GET /api/me`, which reads
 * the session cookie), the trades, a flash message that survives one navigation, and a data
 * version that mutations bump so that lists reload.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Trade } from '../../src/leedz/domain/trade.js';
import type { User } from '../../src/leedz/domain/user.js';

export interface Flash {
  kind: 'ok' | 'info' | 'error';
  text: string;
}

export interface Session {
  /** `null` when signed out. */
  me: User | null;
  trades: Trade[];
  setMe(user: User | null): void;
  reloadMe(): Promise<void>;
  reloadTrades(): Promise<void>;
  /** Shown at the top of the next page (and cleared on the one after). */
  flash(message: Flash): void;
  /** Bumped after every change to leedz; lists depend on it. */
  dataVersion: number;
  changed(): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useSession outside <SessionContext.Provider>');
  return session;
}
