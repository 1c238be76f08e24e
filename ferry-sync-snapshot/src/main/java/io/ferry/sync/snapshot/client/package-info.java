/**
 * The restoring side of snapshot state sync: {@link io.ferry.sync.snapshot.client.Syncer} finds
 * snapshots ({@link io.ferry.sync.snapshot.client.SnapshotPool}), offers the best trusted one to
 * the application, fetches its chunks from many peers ({@link
 * io.ferry.sync.snapshot.client.ChunkQueue}) and applies them.
 */
package io.ferry.sync.snapshot.client;
