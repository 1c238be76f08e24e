/**
 * A dataset as the block exchange sees it: blocks of a fixed size under a Merkle tree ({@link
 * io.ferry.blocks.dataset.BlockTree}), each provable by its place ({@link
 * io.ferry.blocks.dataset.BlockProof}), and named by a {@link io.ferry.blocks.dataset.Manifest}.
 */
package io.ferry.blocks.dataset;
