/**
 * Snapshot state sync, after CometBFT's statesync reactor: a node that starts empty asks its peers
 * which snapshots they hold, offers them to its application, fetches the chunks of the one it
 * accepts from many peers at once and hands each to the application, which may ask for chunks again
 * or reject the peers that sent bad ones. The application is any Java state machine that implements
 * {@link io.ferry.sync.snapshot.app.SnapshotApplication} (the ABCI snapshot calls); Ferry's
 * MerkleDB is one ({@link io.ferry.sync.snapshot.archive}). Messages are {@code
 * ferry/wire/v1/statesync.proto}, one-way on {@link io.ferry.net.ProtocolId#SNAPSHOT_SYNC}.
 */
package io.ferry.sync.snapshot;
