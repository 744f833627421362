import type { WalletResponse } from '../domain/results.js';
import type { Exchange } from '../ports/transport.js';

const SHED: WalletResponse = Object.freeze({ code: 'TEMPORARY_ERROR', message: 'waited past the queue deadline; not processed' });

/**
 * A worker pool's answer to a request that waited past its `queueTimeoutMs`: nothing was done
 * (no ledger change, nothing appended to a log), so a retry is safe whatever the idempotency.
 */
export const shedExchange = (exchange: Exchange): void => exchange.reply(SHED);
