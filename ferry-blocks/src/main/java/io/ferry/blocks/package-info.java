/**
 * Block exchange (Codex's block exchange, after IPFS bitswap): content-addressed datasets and the
 * protocol that fetches them from many peers. A dataset is cut into blocks under a Merkle tree and
 * named by its manifest's CID ({@link io.ferry.blocks.cid}, {@link io.ferry.blocks.dataset}); a
 * node keeps blocks in a store with a quota ({@link io.ferry.blocks.store}), finds who provides a
 * dataset through gossip ({@link io.ferry.blocks.discovery}), fetches blocks with want-lists and
 * block presence, verifying each against the tree before it is stored ({@link
 * io.ferry.blocks.exchange}), and repairs missing blocks by Reed-Solomon decoding ({@link
 * io.ferry.blocks.erasure}). See docs/blocks.md.
 */
package io.ferry.blocks;
