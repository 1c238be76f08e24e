package io.ferry.sync.snapshot.server;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Clock;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import io.ferry.sync.snapshot.Messages;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.app.SnapshotApplication;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers state-sync listings and chunk requests from the application, as CometBFT's reactor does,
 * with the work each peer can cause bounded: one listing per peer per {@link
 * Config#listingInterval}, at most {@link Config#chunksPerPeer} chunk loads per peer and {@link
 * Config#chunksInAll} in all at once; requests beyond that are dropped (the requester's timeout
 * sends them elsewhere). Never more than {@link Limits#MAX_SNAPSHOTS_PER_LISTING} snapshots are
 * listed, newest first, one message each.
 *
 * <p>Thread-safe. Application calls run on the injected executor.
 */
public final class SnapshotServer {
  private static final Logger log = LoggerFactory.getLogger(SnapshotServer.class);

  /**
   * Bounds on the work peers cause.
   *
   * @param listingInterval a peer's listings closer than this are dropped
   * @param chunksPerPeer chunk loads of one peer at once
   * @param chunksInAll chunk loads at once, all peers together
   */
  public record Config(Duration listingInterval, int chunksPerPeer, int chunksInAll) {
    public static final Config DEFAULT = new Config(Duration.ofSeconds(1), 8, 32);
  }

  /** Counts for status pages and tests. */
  public record Stats(
      long listings, long chunksServed, long bytesServed, long missing, long dropped) {}

  private final SnapshotApplication app;
  private final Transport transport;
  private final Executor executor;
  private final Clock clock;
  private final Config config;
  private final Map<NodeId, Long> lastListing = new HashMap<>();
  private final Map<NodeId, Integer> loading = new HashMap<>();
  private int loadingInAll;
  private final AtomicLong listings = new AtomicLong();
  private final AtomicLong served = new AtomicLong();
  private final AtomicLong bytesServed = new AtomicLong();
  private final AtomicLong missing = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();

  public SnapshotServer(
      SnapshotApplication app, Transport transport, Executor executor, Clock clock, Config config) {
    this.app = app;
    this.transport = transport;
    this.executor = executor;
    this.clock = clock;
    this.config = config;
  }

  public Stats stats() {
    return new Stats(listings.get(), served.get(), bytesServed.get(), missing.get(), dropped.get());
  }

  /** A peer asked which snapshots this node holds. */
  public void onListRequest(NodeId from) {
    long now = clock.nanos();
    synchronized (this) {
      Long last = lastListing.get(from);
      if (last != null && now - last < config.listingInterval().toNanos()) {
        dropped.incrementAndGet();
        return;
      }
      lastListing.put(from, now);
    }
    executor.execute(
        () -> {
          List<Snapshot> all;
          try {
            all = app.listSnapshots();
          } catch (RuntimeException e) {
            log.warn("state sync: the application could not list its snapshots: {}", e.toString());
            return;
          }
          listings.incrementAndGet();
          all.stream()
              .sorted(
                  Comparator.comparingLong(Snapshot::height)
                      .thenComparingInt(Snapshot::format)
                      .reversed())
              .limit(Limits.MAX_SNAPSHOTS_PER_LISTING)
              .forEach(s -> listOne(from, s));
        });
  }

  /** Lists one snapshot; one whose listing is over CometBFT's 4e6 is left out, not the rest. */
  private void listOne(NodeId to, Snapshot s) {
    ByteString message;
    try {
      message = Messages.listed(s);
    } catch (FerryException e) {
      log.warn("state sync: not listing snapshot {}: {}", s, e.getMessage());
      return;
    }
    send(to, message);
  }

  /** A peer asked for a chunk. */
  public void onChunkWanted(NodeId from, Messages.ChunkWanted w) {
    synchronized (this) {
      int mine = loading.getOrDefault(from, 0);
      if (mine >= config.chunksPerPeer() || loadingInAll >= config.chunksInAll()) {
        dropped.incrementAndGet();
        log.debug("state sync: dropping a chunk request from {}: too many", from.shortString());
        return;
      }
      loading.put(from, mine + 1);
      loadingInAll++;
    }
    executor.execute(
        () -> {
          try {
            Optional<Bytes> chunk;
            try {
              chunk = app.loadSnapshotChunk(w.height(), w.format(), w.index());
            } catch (RuntimeException e) {
              log.warn(
                  "state sync: loading chunk {} at height {} failed: {}",
                  w.index(),
                  w.height(),
                  e.toString());
              chunk = Optional.empty();
            }
            ByteString answer = null;
            if (chunk.isPresent()) {
              try {
                answer = Messages.chunkSent(w.height(), w.format(), w.index(), chunk.get());
              } catch (FerryException e) {
                // Over CometBFT's 16e6: no peer would take it, so it is as good as missing.
                log.warn("state sync: cannot serve chunk {}: {}", w.index(), e.getMessage());
              }
            }
            if (answer == null) {
              missing.incrementAndGet();
              send(from, Messages.chunkMissing(w.height(), w.format(), w.index()));
            } else {
              served.incrementAndGet();
              bytesServed.addAndGet(chunk.get().length());
              send(from, answer);
            }
          } finally {
            synchronized (this) {
              loading.merge(from, -1, Integer::sum);
              loading.remove(from, 0);
              loadingInAll--;
            }
          }
        });
  }

  /** A peer went away: forget its listing time. */
  public synchronized void forget(NodeId peer) {
    lastListing.remove(peer);
  }

  private void send(NodeId to, ByteString message) {
    transport
        .send(to, ProtocolId.SNAPSHOT_SYNC, message)
        .exceptionally(
            e -> {
              log.debug("state sync: cannot answer {}: {}", to.shortString(), e.toString());
              return null;
            });
  }
}
