/**
 * The trades column: every trade with its active leed count, a link to its upcoming leedz, and a
 * subscribe checkbox. Subscribing is `PATCH /api/me {subscriptions}`; when the API refuses (more than
 * the limit, an unknown trade) the box goes back and the API's reason is shown.
 */
import { useState } from 'preact/hooks';
import type { User } from '../../src/leedz/domain/user.js';
import { api, ApiError, messageOf } from '../shared/api.js';
import { config } from '../shared/config.js';
import { useSession } from './session.js';
import { signInHref } from './sign-in.js';
import { tradeColor } from './trade-colors.js';

export function TradesColumn() {
  const { me, trades, setMe } = useSession();
  // The box the user just clicked shows its new state while the API decides (and goes back if refused).
  const [pending, setPending] = useState<{ trade: string; on: boolean } | undefined>(undefined);
  const [message, setMessage] = useState<{ kind: 'error' | 'ok'; text: string } | undefined>(undefined);
  const subscribed = new Set(me?.subscriptions ?? []);
  const max = config().maxSubscriptions;

  const toggle = async (trade: string, on: boolean) => {
    if (me === null) return;
    const subscriptions = on ? [...me.subscriptions, trade] : me.subscriptions.filter((t) => t !== trade);
    setPending({ trade, on });
    setMessage(undefined);
    try {
      setMe(await api.patch<User>('/api/me', { subscriptions }));
      setMessage({ kind: 'ok', text: on ? `Subscribed to ${trade}.` : `Unsubscribed from ${trade}.` });
    } catch (error) {
      const reason = error instanceof ApiError ? (error.fieldMessage('subscriptions') ?? error.message) : messageOf(error);
      // The API names its field ("subscriptions must list at most 6 trades"); people read "you can follow at most 6 trades".
      const atMost = /at most (\d+)/.exec(reason);
      setMessage({ kind: 'error', text: `Could not ${on ? 'subscribe to' : 'unsubscribe from'} ${trade}: ${atMost !== null ? `you can follow at most ${atMost[1]} trades` : reason.replace(/^subscriptions:?\s*/, '')}.` });
    } finally {
      setPending(undefined);
    }
  };

  return (
    <section class="trades-column card" aria-labelledby="trades-title">
      <h2 id="trades-title">Trades</h2>
      <p class="muted small" id="trades-help">
        {me === null ? (
          <>
            <a href={signInHref(location.pathname + location.search)}>Sign in</a> to subscribe.
          </>
        ) : (
          <>
            {subscribed.size >= max
              ? `Subscribed to ${subscribed.size} of ${max}, the most there can be: unsubscribe from one to follow another.`
              : `Subscribed to ${subscribed.size} of at most ${max}. Leedz of your trades fill the calendar and arrive by email.`}
          </>
        )}
      </p>
      <p class={message === undefined ? 'visually-hidden' : `trades-message ${message.kind}`} role={message?.kind === 'error' ? 'alert' : 'status'} id="trades-message">
        {message?.text ?? ''}
      </p>
      <ul class="trades">
        {trades.map((trade) => {
          const id = `subscribe-${trade.name.replace(/[^a-z0-9]+/g, '-')}`;
          return (
            <li key={trade.name} class={subscribed.has(trade.name) ? 'subscribed' : undefined}>
              <input
                type="checkbox"
                id={id}
                checked={pending?.trade === trade.name ? pending.on : subscribed.has(trade.name)}
                // At the limit, only the boxes that unsubscribe can change.
                disabled={me === null || pending !== undefined || (!subscribed.has(trade.name) && subscribed.size >= max)}
                aria-describedby="trades-help trades-message"
                onChange={(event) => void toggle(trade.name, (event.target as HTMLInputElement).checked)}
              />
              <label for={id}>
                <span class="visually-hidden">Subscribe to </span>
                <span class="swatch" style={{ background: tradeColor(trade.name, trades) }} aria-hidden="true" />
                {trade.name}
              </label>
              <a class="trade-count" href={`/trades/${encodeURIComponent(trade.name)}`} title={`Upcoming ${trade.name} leedz`}>
                {trade.leedCount}
                <span class="visually-hidden"> upcoming {trade.name} leedz</span>
              </a>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
