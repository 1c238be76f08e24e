package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.merkledb.proof.ProofNode;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.merkledb.trie.Path;
import io.ferry.net.PeerAddress;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.TransportConfig;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.net.peers.PeerManager;
import io.ferry.sync.proof.ProofServerConfig;
import io.ferry.sync.proof.ProofSyncServer;
import io.ferry.wire.v1.GetRangeProofRequest;
import io.ferry.wire.v1.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A sync that peers and its own store try to derail still ends: a proof nested thousands deep or an
 * answer over the byte limit is a lie that costs its server, a store write that fails puts its
 * range back, a store that keeps failing ends the sync with its error, and one server is never sent
 * more requests at once than it takes.
 */
@Timeout(120)
class SyncManagerHardeningTest {
  private static final int KEYS = 3_000;

  private final MemoryNetwork network = new MemoryNetwork();
  private final List<AutoCloseable> closers = new ArrayList<>();
  private final List<KeyValue> kvs = SyncManagerMemoryTest.keys(KEYS, 3);
  private final MemoryTransport client = transport("client");
  private final ExecutorScheduler scheduler = new ExecutorScheduler("sync", 1);

  @AfterEach
  void close() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
    scheduler.close(); // last: closing a sync runs on it
  }

  private MemoryTransport transport(String host) {
    MemoryTransport t =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of(host, 1), TransportConfig.DEFAULT);
    closers.add(t);
    return t;
  }

  private MerkleDB db() {
    MerkleDB db = MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false));
    closers.add(db);
    return db;
  }

  /** An honest server of {@code kvs}, connected to the client. */
  private MemoryTransport honest(String host, ProofServerConfig config) {
    MerkleDB db = db();
    db.bulkLoad(kvs.iterator());
    MemoryTransport t = transport(host);
    closers.add(ProofSyncServer.start(t, db, config));
    connect(t);
    return t;
  }

  /** A server that answers every range proof request with what {@code answer} makes of it. */
  private MemoryTransport liar(String host, Function<GetRangeProofRequest, ByteString> answer) {
    MemoryTransport t = transport(host);
    t.register(
        ProtocolId.PROOF_SYNC,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder r) {
            try {
              r.respond(answer.apply(Request.parseFrom(payload).getRangeProofRequest()));
            } catch (Exception e) {
              r.fail(ErrorCode.INTERNAL, e.toString());
            }
          }
        });
    connect(t);
    return t;
  }

  private void connect(MemoryTransport server) {
    try {
      client.connect(server.address().withId(server.localId())).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private Hash root() {
    MerkleDB db = db();
    return db.bulkLoad(kvs.iterator()).root();
  }

  private SyncManager sync(SyncConfig config, SyncStore store, MerkleDB local, Executor verifier) {
    SyncManager s =
        new SyncManager(
            config,
            client,
            scheduler,
            new SeededRandomSource(5),
            store,
            sorted -> local.bulkLoad(sorted).root(),
            p -> true,
            verifier);
    closers.add(s);
    return s;
  }

  private static Hash done(SyncManager sync) throws Exception {
    return sync.done().get(60, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- lies

  /** Verifies on threads with a stack far smaller than a deep proof would need to recurse. */
  private static final Executor SMALL_STACKS =
      r -> {
        Thread t = new Thread(null, r, "verify", 256 * 1024);
        t.setDaemon(true);
        t.start();
      };

  /**
   * A proof with one claimed key of {@code n / 2} bytes in the asked range, and an end path of a
   * node at every prefix of it: well formed, and {@code n} nodes deep.
   */
  private static ByteString deepProof(GetRangeProofRequest r, int n) {
    byte[] start = r.hasStartKey() ? r.getStartKey().getValue().toByteArray() : new byte[0];
    Bytes key = Bytes.wrap(Arrays.copyOf(start, Math.max(start.length, n / 2)));
    Path path = Path.ofKey(key, SyncConfig.DEFAULT.branchFactor());
    Hash someId = Hash.of(new byte[Hash.LENGTH]);
    List<ProofNode> chain = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      TreeMap<Integer, Hash> children = new TreeMap<>();
      children.put(path.token(i), someId);
      chain.add(new ProofNode(path.prefix(i), Optional.empty(), children));
    }
    List<KeyValue> claimed = List.of(new KeyValue(key, Bytes.fromHex("01")));
    return ProofCodec.encode(new RangeProof(List.of(), chain, claimed)).toByteString();
  }

  @Test
  void aProofNestedThousandsDeepIsALieAndTheSyncFinishesFromAnHonestServer() throws Exception {
    MemoryTransport honest = honest("honest", ProofServerConfig.defaults().withThreads(2));
    MemoryTransport liar = liar("liar", r -> deepProof(r, 2_500));
    MerkleDB local = db();
    SyncManager sync = sync(SyncConfig.DEFAULT, new MemorySyncStore(), local, SMALL_STACKS);
    Hash root = root();
    sync.start(root);

    assertThat(done(sync)).isEqualTo(root);
    assertThat(local.root()).isEqualTo(root);
    assertThat(sync.stats().lies()).isGreaterThanOrEqualTo(1);
    assertThat(penalised(liar)).as("the liar is penalised").isTrue();
    assertThat(client.peerManager().isBanned(honest.localId())).isFalse();
  }

  @Test
  void anAnswerOverTheByteLimitIsALieAndTheSyncFinishesFromAnHonestServer() throws Exception {
    MemoryTransport honest = honest("honest", ProofServerConfig.defaults().withThreads(2));
    MerkleDB full = db();
    Hash root = full.bulkLoad(kvs.iterator()).root();
    // Honest data, but all the keys asked for, however many bytes they take.
    MemoryTransport liar =
        liar(
            "liar",
            r ->
                ProofCodec.encode(
                        full.rangeProof(root, range(r), r.getKeyLimit(), Limits.MAX_PROOF_BYTES))
                    .toByteString());
    MerkleDB local = db();
    SyncConfig config = SyncConfig.DEFAULT.withLimits(1024, 16 << 10);
    SyncManager sync = sync(config, new MemorySyncStore(), local, Runnable::run);
    sync.start(root);

    assertThat(done(sync)).isEqualTo(root);
    assertThat(local.root()).isEqualTo(root);
    assertThat(sync.stats().lies()).isGreaterThanOrEqualTo(1);
    assertThat(penalised(liar)).as("the liar is penalised").isTrue();
    assertThat(client.peerManager().isBanned(honest.localId())).isFalse();
  }

  /** Scored down, or banned already (which resets the score). */
  private boolean penalised(MemoryTransport server) {
    PeerManager.Standing s = client.peerManager().standing(server.localId());
    return s.score() < 0 || s.bannedFor().isPresent();
  }

  private static KeyRange range(GetRangeProofRequest r) {
    return new KeyRange(
        r.hasStartKey()
            ? Optional.of(Bytes.wrap(r.getStartKey().getValue().toByteArray()))
            : Optional.empty(),
        r.hasEndKey()
            ? Optional.of(Bytes.wrap(r.getEndKey().getValue().toByteArray()))
            : Optional.empty());
  }

  // ---------------------------------------------------------------- the store

  /** A store whose writes of data throw while {@code failures} lasts. */
  private static final class FailingStore implements SyncStore {
    private final MemorySyncStore delegate = new MemorySyncStore();
    private final AtomicInteger failures;
    private final AtomicInteger thrown = new AtomicInteger();

    private volatile boolean unreadable;

    FailingStore(int failures) {
      this.failures = new AtomicInteger(failures);
    }

    @Override
    public void apply(
        Optional<KeyRange> replace,
        List<KeyChange> changes,
        Hash target,
        List<CompletedRange> progress) {
      if (!changes.isEmpty() && failures.getAndDecrement() > 0) {
        thrown.incrementAndGet();
        throw new FerryException(ErrorCode.IO_ERROR, "the disk is gone");
      }
      delegate.apply(replace, changes, target, progress);
    }

    @Override
    public Optional<Hash> target() {
      return delegate.target();
    }

    @Override
    public List<CompletedRange> progress() {
      if (unreadable) {
        throw new FerryException(ErrorCode.IO_ERROR, "the progress cannot be read");
      }
      return delegate.progress();
    }

    @Override
    public Optional<Bytes> get(Bytes key) {
      return delegate.get(key);
    }

    @Override
    public List<KeyValue> scan(KeyRange range) {
      return delegate.scan(range);
    }

    @Override
    public Iterator<KeyValue> iterator() {
      return delegate.iterator();
    }

    @Override
    public long keyCount() {
      return delegate.keyCount();
    }

    @Override
    public void clear() {
      delegate.clear();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  @Test
  void aStoreWriteThatFailsOncePutsItsRangeBackAndTheSyncFinishes() throws Exception {
    MemoryTransport honest = honest("honest", ProofServerConfig.defaults().withThreads(2));
    FailingStore store = new FailingStore(1);
    MerkleDB local = db();
    SyncManager sync =
        sync(SyncConfig.DEFAULT.withLimits(256, 1 << 20), store, local, r -> r.run());
    Hash root = root();
    sync.start(root);

    assertThat(done(sync)).isEqualTo(root);
    assertThat(local.root()).isEqualTo(root);
    assertThat(store.thrown).hasValue(1);
    assertThat(sync.stats().lies()).isZero();
    assertThat(client.peerManager().standing(honest.localId()).score()).isZero();
  }

  @Test
  void aStoreWhoseProgressCannotBeReadEndsTheSyncWithItsError() {
    honest("honest", ProofServerConfig.defaults().withThreads(2));
    FailingStore store = new FailingStore(0);
    store.unreadable = true;
    SyncManager sync = sync(SyncConfig.DEFAULT, store, db(), Runnable::run);
    sync.start(root());

    await().atMost(Duration.ofSeconds(30)).until(() -> sync.done().isDone());
    assertThat(sync.error())
        .get()
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR));
  }

  @Test
  void aStoreThatKeepsFailingEndsTheSyncWithItsError() {
    honest("honest", ProofServerConfig.defaults().withThreads(2));
    FailingStore store = new FailingStore(Integer.MAX_VALUE);
    SyncManager sync = sync(SyncConfig.DEFAULT, store, db(), Runnable::run);
    sync.start(root());

    await().atMost(Duration.ofSeconds(60)).until(() -> sync.done().isDone());
    assertThat(sync.error())
        .get()
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR));
    assertThat(store.thrown).hasValue(SyncManager.MAX_STORE_FAILURES);
  }

  // ---------------------------------------------------------------- how many at once

  @Test
  void aCleanSyncFromOneServerCountsNoFailures() throws Exception {
    honest("only", ProofServerConfig.defaults().withThreads(2));
    MerkleDB local = db();
    SyncManager sync =
        sync(
            SyncConfig.DEFAULT.withLimits(64, 1 << 20), new MemorySyncStore(), local, r -> r.run());
    Hash root = root();
    sync.start(root);

    assertThat(done(sync)).isEqualTo(root);
    assertThat(sync.stats().proofs()).isGreaterThan(2L * SyncConfig.DEFAULT.workLimit());
    assertThat(sync.stats().failures()).isZero();
    assertThat(sync.stats().lies()).isZero();
  }

  @Test
  void aServerThatTakesFewerAtOnceIsSentFewerWithoutCountingFailures() throws Exception {
    MemoryTransport only = honest("only", ProofServerConfig.defaults().withMaxPerPeer(1));
    MerkleDB local = db();
    SyncManager sync =
        sync(
            SyncConfig.DEFAULT.withLimits(64, 1 << 20), new MemorySyncStore(), local, r -> r.run());
    Hash root = root();
    sync.start(root);

    assertThat(done(sync)).isEqualTo(root);
    assertThat(sync.stats().failures()).isZero();
    assertThat(client.peerManager().standing(only.localId()).score()).isZero();
  }
}
