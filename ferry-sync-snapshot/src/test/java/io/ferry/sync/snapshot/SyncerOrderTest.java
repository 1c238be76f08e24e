package io.ferry.sync.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.ApplyResult;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.app.SnapshotApplication;
import io.ferry.sync.snapshot.client.MemoryChunkStore;
import io.ferry.sync.snapshot.client.StateSyncConfig;
import io.ferry.sync.snapshot.client.SyncOutcome;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that says it takes chunks in any order gets them as they arrive, so one slow chunk
 * does not hold up the rest; with CometBFT's behaviour, or an application that does not say so,
 * chunks go in index order.
 */
@Timeout(60)
class SyncerOrderTest {
  private static final List<Bytes> RECORDS = SyncerTest.RECORDS;

  @TempDir Path dir;
  private Rig rig;
  private List<Rig.Server> servers;
  private Rig.Client client;
  private LogApplication log;

  @BeforeEach
  void setUp() {
    rig = new Rig(dir);
    servers = List.of(rig.server(RECORDS), rig.server(RECORDS));
    // Chunk 3's first request is lost, wherever it goes: it comes a chunk timeout late.
    AtomicBoolean lost = new AtomicBoolean();
    for (Rig.Server s : servers) {
      s.wire.filterInbound(p -> !(isRequestFor(p, 3) && lost.compareAndSet(false, true)));
    }
    client = rig.client();
    log = rig.emptyLog("client");
  }

  @AfterEach
  void close() {
    rig.close();
  }

  @Test
  void chunksGoAsTheyArriveToAnApplicationThatTakesAnyOrder() {
    Staging staging = new Staging(log);
    ScriptedApplication app = new ScriptedApplication(staging);

    SyncOutcome outcome =
        client.run(
            client.syncer(
                StateSyncConfig.DEFAULT,
                app,
                Rig.trusting(servers.get(0).log),
                new MemoryChunkStore()));

    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(outcome.timeouts()).isEqualTo(1);
    List<Integer> order = app.appliedIndexes();
    assertThat(order).hasSize(outcome.snapshot().chunks());
    assertThat(order.indexOf(3)).as("chunk 3 applied after later ones").isGreaterThan(4);
    assertThat(order.indexOf(3)).isGreaterThan(order.indexOf(4));
  }

  @Test
  void withCometBftsBehaviourTheyGoInIndexOrder() {
    Staging staging = new Staging(log);
    ScriptedApplication app = new ScriptedApplication(staging);

    SyncOutcome outcome =
        client.run(
            client.syncer(
                StateSyncConfig.DEFAULT.cometbft(),
                app,
                Rig.trusting(servers.get(0).log),
                new MemoryChunkStore()));

    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(outcome.timeouts()).isEqualTo(1);
    assertThat(app.appliedIndexes()).isSorted().doesNotHaveDuplicates();
  }

  /**
   * Takes chunks in any order: stages them and feeds the log each one whose predecessors are in, as
   * an application that stages records and builds its state at the end would.
   */
  static final class Staging implements SnapshotApplication {
    private final LogApplication log;
    private final TreeMap<Integer, Bytes> staged = new TreeMap<>();
    private final TreeMap<Integer, NodeId> senders = new TreeMap<>();
    private int next;

    Staging(LogApplication log) {
      this.log = log;
    }

    @Override
    public List<Snapshot> listSnapshots() {
      return log.listSnapshots();
    }

    @Override
    public OfferResult offerSnapshot(Snapshot snapshot, Bytes trustedAppHash) {
      staged.clear();
      OfferResult r = log.offerSnapshot(snapshot, trustedAppHash);
      next = log.appliedChunks(snapshot).nextClearBit(0);
      return r;
    }

    @Override
    public Optional<Bytes> loadSnapshotChunk(long height, int format, int index) {
      return log.loadSnapshotChunk(height, format, index);
    }

    @Override
    public boolean appliesOutOfOrder(Snapshot snapshot) {
      return true;
    }

    @Override
    public BitSet appliedChunks(Snapshot snapshot) {
      return log.appliedChunks(snapshot);
    }

    @Override
    public ChunkApplied applySnapshotChunk(int index, Bytes chunk, NodeId sender) {
      staged.put(index, chunk);
      senders.put(index, sender);
      while (staged.containsKey(next)) {
        ChunkApplied r = log.applySnapshotChunk(next, staged.remove(next), senders.get(next));
        if (r.result() != ApplyResult.ACCEPT) {
          return r;
        }
        next++;
      }
      return ChunkApplied.accept();
    }
  }

  private static boolean isRequestFor(ByteString payload, int index) {
    try {
      return Messages.decode(payload) instanceof Messages.ChunkWanted w && w.index() == index;
    } catch (FerryException e) {
      return false;
    }
  }
}
