/**
 * The few icons the UI uses, as inline SVG: no icon font, no emoji (which depend on the reader's
 * fonts). Decorative: the text beside each says the same.
 */
const common = { width: '1em', height: '1em', viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', class: 'icon' } as const;

export function LockIcon() {
  return (
    <svg {...common}>
      <rect x="4" y="11" width="16" height="10" rx="2" />
      <path d="M8 11V7a4 4 0 0 1 8 0v4" />
    </svg>
  );
}

export function EyeIcon() {
  return (
    <svg {...common}>
      <path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12z" />
      <circle cx="12" cy="12" r="3" />
    </svg>
  );
}

export function MedalIcon() {
  return (
    <svg {...common}>
      <circle cx="12" cy="15" r="6" />
      <path d="M8.5 10 6 3h4l2 4 2-4h4l-2.5 7" />
    </svg>
  );
}
