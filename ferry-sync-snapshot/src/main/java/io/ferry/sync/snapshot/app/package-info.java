/**
 * The application side of snapshot state sync, shaped like ABCI's four snapshot calls ({@code
 * ListSnapshots}, {@code OfferSnapshot}, {@code LoadSnapshotChunk}, {@code ApplySnapshotChunk}) so
 * that CometBFT users recognise it. The syncer does with each result exactly what CometBFT's does;
 * docs/state-sync.md has the table.
 */
package io.ferry.sync.snapshot.app;
