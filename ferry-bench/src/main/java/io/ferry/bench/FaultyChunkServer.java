package io.ferry.bench;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.SystemClock;
import io.ferry.net.TransportConfig;
import io.ferry.net.tcp.NettyTransport;
import io.ferry.sync.snapshot.StateSyncReactor;
import io.ferry.sync.snapshot.app.ApplyResult;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.app.SnapshotApplication;
import io.ferry.sync.snapshot.archive.ArchiveApplication;
import io.ferry.sync.snapshot.server.SnapshotServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A state-sync peer for {@code bin/bench statesync} that lists the archives of a directory as every
 * node does, with the node's own serving code ({@link SnapshotServer} over {@link
 * ArchiveApplication}), but serves none of their chunks: in mode {@code missing} it answers every
 * chunk request with {@code missing} at once (a peer whose retention deleted the archive after it
 * listed it), in mode {@code stall} it never answers one (a hung or overloaded peer; the server's
 * per-peer bound then drops further requests, as it would).
 *
 * <p>Usage: {@code FaultyChunkServer --dir ARCHIVES --mode missing|stall [--p2p-egress MiB/s]};
 * prints {@code listening ID@HOST:PORT} and runs until its stdin closes or it is killed.
 */
public final class FaultyChunkServer {
  private FaultyChunkServer() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(BenchData.arg(args, "--dir", "."));
    String mode = BenchData.arg(args, "--mode", "missing");
    double egressMib = Double.parseDouble(BenchData.arg(args, "--p2p-egress", "0"));
    if (!mode.equals("missing") && !mode.equals("stall")) {
      throw new IllegalArgumentException("--mode is missing or stall, not " + mode);
    }
    CountDownLatch never = new CountDownLatch(1);
    SnapshotApplication app = new ListingOnly(ArchiveApplication.servingOnly(dir), mode, never);
    ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    try (NettyTransport transport =
            NettyTransport.start(
                NodeKey.generate(),
                new InetSocketAddress("127.0.0.1", 0),
                TransportConfig.DEFAULT.withEgressBytesPerSecond((long) (egressMib * (1 << 20))));
        StateSyncReactor reactor =
            new StateSyncReactor(
                transport,
                Optional.of(
                    new SnapshotServer(
                        app,
                        transport,
                        workers,
                        SystemClock.INSTANCE,
                        SnapshotServer.Config.DEFAULT)))) {
      System.out.println("listening " + transport.address());
      System.out.flush();
      System.in.transferTo(java.io.OutputStream.nullOutputStream()); // until the bench is gone
    } finally {
      never.countDown();
      workers.shutdownNow();
    }
  }

  /** Lists what the archive application lists; answers no chunk. */
  private record ListingOnly(SnapshotApplication listing, String mode, CountDownLatch never)
      implements SnapshotApplication {
    @Override
    public List<Snapshot> listSnapshots() {
      return listing.listSnapshots();
    }

    @Override
    public Optional<Bytes> loadSnapshotChunk(long height, int format, int index) {
      if (mode.equals("stall")) {
        try {
          never.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Optional.empty();
    }

    @Override
    public OfferResult offerSnapshot(Snapshot snapshot, Bytes trustedAppHash) {
      return OfferResult.ABORT;
    }

    @Override
    public ChunkApplied applySnapshotChunk(int index, Bytes chunk, NodeId sender) {
      return ChunkApplied.of(ApplyResult.ABORT);
    }
  }
}
