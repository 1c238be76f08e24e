/**
 * The block-exchange engine (Codex's, after bitswap), on {@code PROTOCOL_BLOCK_EXCHANGE}: {@link
 * io.ferry.blocks.exchange.BlockExchange} routes each message; {@link
 * io.ferry.blocks.exchange.BlockServer} keeps each peer's want-list and answers it with presences
 * and blocks; a {@link io.ferry.blocks.exchange.Download} fetches one dataset from every peer that
 * has it (rarest first within a window ahead of its readers, an end game for the last blocks,
 * erasure repair of what no one has), verifying every block against the tree before it is stored.
 */
package io.ferry.blocks.exchange;
