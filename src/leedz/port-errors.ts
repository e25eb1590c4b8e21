/**
 * The errors the marketplace's ports raise (src/leedz/ports.ts, which exports them too): each a
 * business rule an adapter enforced, with a code the HTTP edge answers with (ERROR_STATUS in
 * src/leedz/functions/http.ts), and each surviving JSON.
 *
 * @example
 * throw new ConflictError('this username is taken');
 */

export type MarketplaceErrorCode = 'CONFLICT' | 'NOT_FOUND' | 'FORBIDDEN' | 'STATE';

/** A business rule the store enforced; carries a code and survives JSON. */
export class MarketplaceError extends Error {
  readonly code: MarketplaceErrorCode;

  constructor(code: MarketplaceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** A double booking, a username taken: 409. */
export class ConflictError extends MarketplaceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFLICT', message, options);
  }
}

export class NotFoundError extends MarketplaceError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** Someone else's leed: 403. */
export class ForbiddenError extends MarketplaceError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** A new price for a leed a buyer is checking out, until `until` (their hold's end): 409. */
export class HeldError extends MarketplaceError {
  readonly until: string;

  constructor(until: string) {
    super('CONFLICT', `price cannot change while a buyer is checking out this leed (until ${until})`);
    this.until = until;
  }
}

/** The leed is no longer active (sold, deleted, expired): 409. */
export class StateError extends MarketplaceError {
  constructor(message: string) {
    super('STATE', message);
  }
}
