/**
 * A colour per trade for the calendar: the trade's own (`Trade.color`, set by an admin or the seed)
 * or one from a fixed palette picked by the name, so a trade keeps its colour across visits.
 * Colours mark chips and swatches only; text stays dark on light, whatever the colour.
 */
import type { Trade } from '../../src/leedz/domain/trade.js';

const PALETTE = ['#c2410c', '#1d4ed8', '#047857', '#7e22ce', '#b45309', '#0e7490', '#be185d', '#4d7c0f', '#9f1239', '#4338ca', '#0f766e', '#a16207'];

export function tradeColor(name: string, trades: readonly Trade[]): string {
  const own = trades.find((t) => t.name === name)?.color;
  if (own !== undefined && /^#[0-9a-f]{3,8}$/i.test(own)) return own;
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}
