package io.ferry.sync.snapshot.client;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.time.Duration;

/**
 * How a {@link Syncer} finds snapshots and fetches chunks. Immutable.
 *
 * @param discoveryTime how long to collect listings before the first offer, and between rounds of
 *     asking again (CometBFT's discovery_time: default 15 s, at least 5 s)
 * @param snapshotWait how long to go on without a snapshot to offer (none listed, none trusted, all
 *     rejected) before the sync fails with {@code NO_SNAPSHOTS}, instead of waiting forever as
 *     CometBFT does (tendermint#5742); at least {@code discoveryTime}
 * @param chunkFetchers chunk requests in flight at once (CometBFT's chunk_fetchers, default 4);
 *     more when the snapshot has more peers than that allows {@code requestsPerPeer} each
 * @param chunkTimeout how long to wait for a chunk before asking another peer (CometBFT's
 *     chunk_request_timeout, default 10 s)
 * @param missingMovesAtOnce whether a {@code missing} answer sends the request to another peer at
 *     once (Ferry) or the request waits out its timeout (CometBFT)
 * @param outOfOrder whether chunks go to an application that {@linkplain
 *     io.ferry.sync.snapshot.app.SnapshotApplication#appliesOutOfOrder allows it} as they arrive
 *     (Ferry), or always in index order (CometBFT)
 * @param maxTimeoutsPerPeer timeouts after which a peer is asked for nothing more in this sync
 * @param requestsPerPeer requests the syncer keeps in flight to each usable peer of the snapshot,
 *     raising the total above {@code chunkFetchers} (up to the chunks that may wait for the
 *     application, 4 per fetcher): with two, a peer's link does not idle between chunks for a round
 *     trip and the peer's chunk load (Ferry, default 2); 0 keeps {@code chunkFetchers} in all
 *     whatever the peers (CometBFT, whose fetchers each wait for their chunk)
 */
public record StateSyncConfig(
    Duration discoveryTime,
    Duration snapshotWait,
    int chunkFetchers,
    Duration chunkTimeout,
    boolean missingMovesAtOnce,
    boolean outOfOrder,
    int maxTimeoutsPerPeer,
    int requestsPerPeer) {

  public static final Duration MIN_DISCOVERY_TIME = Duration.ofSeconds(5);

  public static final StateSyncConfig DEFAULT =
      new StateSyncConfig(
          Duration.ofSeconds(15),
          Duration.ofSeconds(60),
          4,
          Duration.ofSeconds(10),
          true,
          true,
          3,
          2);

  public StateSyncConfig {
    if (discoveryTime.compareTo(MIN_DISCOVERY_TIME) < 0) {
      throw invalid("the discovery time must be at least 5 s, got " + discoveryTime);
    }
    if (snapshotWait.compareTo(discoveryTime) < 0) {
      throw invalid("the snapshot wait must be at least the discovery time");
    }
    if (chunkFetchers < 1 || chunkFetchers > 64) {
      throw invalid("chunk fetchers must be 1 to 64, got " + chunkFetchers);
    }
    if (chunkTimeout.isNegative() || chunkTimeout.isZero()) {
      throw invalid("the chunk timeout must be positive");
    }
    if (maxTimeoutsPerPeer < 1) {
      throw invalid("max timeouts per peer must be at least 1");
    }
    if (requestsPerPeer < 0 || requestsPerPeer > 16) {
      throw invalid("requests per peer must be 0 to 16, got " + requestsPerPeer);
    }
  }

  /**
   * CometBFT's syncer: in-order apply, a {@code missing} chunk waits for its timeout, and {@code
   * chunkFetchers} requests in flight whatever the peers.
   */
  public StateSyncConfig cometbft() {
    return new StateSyncConfig(
        discoveryTime,
        snapshotWait,
        chunkFetchers,
        chunkTimeout,
        false,
        false,
        maxTimeoutsPerPeer,
        0);
  }

  public StateSyncConfig withDiscoveryTime(Duration d) {
    return new StateSyncConfig(
        d,
        snapshotWait.compareTo(d) < 0 ? d : snapshotWait,
        chunkFetchers,
        chunkTimeout,
        missingMovesAtOnce,
        outOfOrder,
        maxTimeoutsPerPeer,
        requestsPerPeer);
  }

  public StateSyncConfig withSnapshotWait(Duration d) {
    return new StateSyncConfig(
        discoveryTime,
        d,
        chunkFetchers,
        chunkTimeout,
        missingMovesAtOnce,
        outOfOrder,
        maxTimeoutsPerPeer,
        requestsPerPeer);
  }

  public StateSyncConfig withChunkFetchers(int n) {
    return new StateSyncConfig(
        discoveryTime,
        snapshotWait,
        n,
        chunkTimeout,
        missingMovesAtOnce,
        outOfOrder,
        maxTimeoutsPerPeer,
        requestsPerPeer);
  }

  public StateSyncConfig withChunkTimeout(Duration d) {
    return new StateSyncConfig(
        discoveryTime,
        snapshotWait,
        chunkFetchers,
        d,
        missingMovesAtOnce,
        outOfOrder,
        maxTimeoutsPerPeer,
        requestsPerPeer);
  }

  public StateSyncConfig withRequestsPerPeer(int n) {
    return new StateSyncConfig(
        discoveryTime,
        snapshotWait,
        chunkFetchers,
        chunkTimeout,
        missingMovesAtOnce,
        outOfOrder,
        maxTimeoutsPerPeer,
        n);
  }

  private static FerryException invalid(String message) {
    return new FerryException(ErrorCode.INVALID_ARGUMENT, message);
  }
}
