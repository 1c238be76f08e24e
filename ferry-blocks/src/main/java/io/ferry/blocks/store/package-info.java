/**
 * The node's block store: datasets' leaves with their proofs, blocks stored once by CID, and
 * manifests, on the node's key-value store ({@link io.ferry.blocks.store.BlockStore}), with a
 * quota, least-recently-used eviction of what is neither pinned nor held, and imports from a stream
 * ({@link io.ferry.blocks.store.DatasetWriter}).
 */
package io.ferry.blocks.store;
