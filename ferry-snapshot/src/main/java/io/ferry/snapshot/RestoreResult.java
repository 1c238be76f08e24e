package io.ferry.snapshot;

import io.ferry.core.Hash;

/**
 * A finished restore.
 *
 * @param height the snapshot height restored (of the incremental, if one was applied), which is the
 *     restored store's height
 * @param root the restored state root, equal to the archive's and to the trusted root if given
 * @param keys key-values loaded from the full archive
 * @param changes changes applied from the incremental archive (0 without one)
 * @param batches commits the incremental's changes took (0 without one)
 */
public record RestoreResult(long height, Hash root, long keys, long changes, int batches) {}
