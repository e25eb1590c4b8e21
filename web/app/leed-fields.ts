/** How the UI names and shows a leed's hideable fields. */
import type { HideableField, Leed } from '../../src/leedz/domain/leed.js';
import { formatPhone } from '../shared/format.js';

export const FIELD_LABELS: Record<HideableField, string> = {
  location: 'Location',
  clientEmail: 'Client email',
  clientPhone: 'Client phone',
  details: 'Details',
  requirements: 'Requirements',
};

/** A field's value as text for people. */
export function fieldText(field: HideableField, value: Leed[HideableField] | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  return field === 'clientPhone' ? formatPhone(value) : value;
}
