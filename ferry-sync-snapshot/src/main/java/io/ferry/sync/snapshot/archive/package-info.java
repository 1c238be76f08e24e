/**
 * Ferry's own state-sync application: MerkleDB snapshots served from the node's archives (format 2:
 * one zstd frame per chunk) and restored by staging verified frames, then assembling the archive
 * and restoring it with the root check ({@link io.ferry.sync.snapshot.archive.ArchiveApplication}).
 */
package io.ferry.sync.snapshot.archive;
