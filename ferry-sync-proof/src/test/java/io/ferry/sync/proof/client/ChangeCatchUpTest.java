package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.net.PeerAddress;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.TransportConfig;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.sync.proof.ProofServerConfig;
import io.ferry.sync.proof.ProofSyncServer;
import io.ferry.wire.v1.GetChangeProofRequest;
import io.ferry.wire.v1.GetChangeProofResponse;
import io.ferry.wire.v1.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A store that holds a past root catches up to a newer one with verified change proofs. */
@Timeout(60)
class ChangeCatchUpTest {
  private static final SyncConfig PAGED =
      SyncConfig.DEFAULT.withLimits(64, 1 << 20).withRequestTimeout(Duration.ofSeconds(5));

  private final MemoryNetwork network = new MemoryNetwork();
  private final List<AutoCloseable> closers = new ArrayList<>();
  private final MemoryTransport client = transport("client");
  private final ExecutorScheduler scheduler = new ExecutorScheduler("catch-up-test", 1);
  private int hosts;

  @AfterEach
  void close() throws Exception {
    closers.add(scheduler);
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  private MemoryTransport transport(String host) {
    MemoryTransport t =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of(host, 1), TransportConfig.DEFAULT);
    closers.add(t);
    return t;
  }

  private MerkleDB db(int history) {
    MerkleDB db =
        MerkleDB.inMemory(
            MerkleDBConfig.defaults().withHistoryLength(history).withSyncWrites(false));
    closers.add(db);
    return db;
  }

  private static Bytes key(int i) {
    return Bytes.wrap(String.format("key-%06d", i).getBytes(StandardCharsets.US_ASCII));
  }

  private static Bytes value(int i, int version) {
    return Bytes.wrap(("value-" + i + "-v" + version).getBytes(StandardCharsets.US_ASCII));
  }

  /** 2,000 keys at height 1: the state both sides start from. */
  static Batch genesis() {
    Batch b = new Batch();
    for (int i = 0; i < 2000; i++) {
      b.put(key(i), value(i, 0));
    }
    return b;
  }

  /** Commits {@code n} rounds of updates, deletes and inserts to {@code db}. */
  static void evolve(MerkleDB db, int n) {
    for (int round = 1; round <= n; round++) {
      Batch b = new Batch();
      for (int i = round; i < 2000; i += 7) {
        b.put(key(i), value(i, round));
      }
      for (int i = 3 * round; i < 2000; i += 97) {
        b.delete(key(i));
      }
      for (int i = 0; i < 40; i++) {
        b.put(key(10_000 * round + i), value(i, round));
      }
      db.commit(b, db.height() + 1);
    }
  }

  private ProofSyncServer serve(MemoryTransport t, MerkleDB db) {
    ProofSyncServer s = ProofSyncServer.start(t, db, ProofServerConfig.defaults());
    closers.add(s);
    connect(t);
    return s;
  }

  private void connect(MemoryTransport server) {
    try {
      client.connect(server.address().withId(server.localId())).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private ChangeCatchUp catchUp(long seed) {
    ChangeCatchUp c =
        new ChangeCatchUp(PAGED, client, scheduler, new SeededRandomSource(seed), p -> true);
    closers.add(c);
    return c;
  }

  private static List<KeyValue> contents(MerkleDB db) {
    List<KeyValue> out = new ArrayList<>();
    db.scan(KeyRange.ALL, out::add);
    return out;
  }

  private static Revision await(java.util.concurrent.CompletableFuture<Revision> f)
      throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static FerryException failure(java.util.concurrent.CompletableFuture<Revision> f) {
    try {
      Revision r = f.get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected the catch-up to fail, it reached " + r);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(FerryException.class);
      return (FerryException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aStaleStoreReachesTheTargetOverManyPagesAndCommits() throws Exception {
    MerkleDB source = db(300);
    MerkleDB follower = db(300);
    source.commit(genesis(), 1);
    follower.commit(genesis(), 1);
    evolve(source, 6);
    serve(transport("server"), source);

    ChangeCatchUp changes = catchUp(1);
    Revision r = await(changes.catchUp(follower, source.root(), source.height()));

    assertThat(r.root()).isEqualTo(source.root());
    assertThat(r.height()).isEqualTo(7);
    assertThat(follower.revision()).isEqualTo(source.revision());
    assertThat(contents(follower)).isEqualTo(contents(source));
    // Over 600 changes at 64 keys a page: many proofs, one commit.
    assertThat(changes.stats().proofs()).isGreaterThan(9);
    assertThat(changes.stats().catchUps()).isEqualTo(1);
    // The empty genesis, height 1, and the one commit at the target's height.
    assertThat(follower.revisions()).extracting(Revision::height).containsExactly(0L, 1L, 7L);
  }

  @Test
  void aStoreAtTheTargetAsksNobody() throws Exception {
    MerkleDB follower = db(300);
    follower.commit(genesis(), 1);
    ChangeCatchUp changes = catchUp(1);
    Revision r = await(changes.catchUp(follower, follower.root(), 1));
    assertThat(r).isEqualTo(follower.revision());
    assertThat(changes.stats().proofs()).isZero();
  }

  @Test
  void aLyingServerIsReportedAndLeftOutWhileAnHonestOneFinishes() throws Exception {
    MerkleDB source = db(300);
    MerkleDB follower = db(300);
    source.commit(genesis(), 1);
    follower.commit(genesis(), 1);
    evolve(source, 4);
    serve(transport("honest"), source);
    MemoryTransport liar = lyingServer(source);

    ChangeCatchUp changes = catchUp(3);
    Revision r = await(changes.catchUp(follower, source.root(), source.height()));

    assertThat(r.root()).isEqualTo(source.root());
    assertThat(contents(follower)).isEqualTo(contents(source));
    assertThat(changes.stats().lies()).isEqualTo(1);
    assertThat(client.peerManager().standing(liar.localId()).score()).isNegative();
  }

  @Test
  void withOnlyALiarTheStoreIsLeftUntouched() {
    MerkleDB source = db(300);
    MerkleDB follower = db(300);
    source.commit(genesis(), 1);
    follower.commit(genesis(), 1);
    evolve(source, 2);
    Revision before = follower.revision();
    MemoryTransport liar = lyingServer(source);

    FerryException e = failure(catchUp(1).catchUp(follower, source.root(), source.height()));

    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(follower.revision()).isEqualTo(before);
    assertThat(follower.revisions()).extracting(Revision::height).containsExactly(0L, 1L);
    assertThat(client.peerManager().standing(liar.localId()).score()).isNegative();
  }

  @Test
  void aServerWhoseHistoryIsTooShortMeansAFullSync() {
    MerkleDB source = db(3);
    MerkleDB follower = db(300);
    source.commit(genesis(), 1);
    follower.commit(genesis(), 1);
    evolve(source, 8); // the follower's root leaves the server's three-revision window
    serve(transport("server"), source);
    Revision before = follower.revision();

    ChangeCatchUp changes = catchUp(1);
    FerryException e = failure(changes.catchUp(follower, source.root(), source.height()));

    assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_HISTORY);
    assertThat(follower.revision()).isEqualTo(before);
    assertThat(changes.stats().fallbacks()).isEqualTo(1);
  }

  @Test
  void aServerThatHasNotReachedTheTargetIsUnavailableNotAFallback() {
    MerkleDB source = db(300);
    MerkleDB lagging = db(300);
    MerkleDB follower = db(300);
    source.commit(genesis(), 1);
    lagging.commit(genesis(), 1);
    follower.commit(genesis(), 1);
    evolve(source, 2);
    serve(transport("lagging"), lagging);

    FerryException e = failure(catchUp(1).catchUp(follower, source.root(), source.height()));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
  }

  @Test
  void withNoServerItIsUnavailable() {
    MerkleDB follower = db(300);
    follower.commit(genesis(), 1);
    byte[] other = new byte[32];
    other[0] = 9;
    FerryException e = failure(catchUp(1).catchUp(follower, Hash.of(other), 2));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
  }

  /** A server that answers with the honest change proof, one value of which it rewrote. */
  private MemoryTransport lyingServer(MerkleDB source) {
    MemoryTransport t = transport("liar" + hosts++);
    t.register(
        ProtocolId.PROOF_SYNC,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder responder) {
            try {
              GetChangeProofRequest q = Request.parseFrom(payload).getChangeProofRequest();
              KeyRange range =
                  new KeyRange(
                      q.hasStartKey() ? ProofCodec.maybeOf(q.getStartKey()) : Optional.empty(),
                      q.hasEndKey() ? ProofCodec.maybeOf(q.getEndKey()) : Optional.empty());
              var proof =
                  ProofCodec.encode(
                      source.changeProof(
                          Hash.of(q.getStartRootHash().toByteArray()),
                          Hash.of(q.getEndRootHash().toByteArray()),
                          range,
                          q.getKeyLimit(),
                          q.getBytesLimit() - 16));
              var forged =
                  proof.toBuilder()
                      .setKeyChanges(
                          0,
                          proof.getKeyChanges(0).toBuilder()
                              .setValue(ProofCodec.maybe(Bytes.wrap(new byte[] {'x'}))))
                      .build();
              responder.respond(
                  GetChangeProofResponse.newBuilder()
                      .setChangeProof(forged)
                      .build()
                      .toByteString());
            } catch (Exception e) {
              responder.fail(ErrorCode.INTERNAL, e.toString());
            }
          }
        });
    connect(t);
    return t;
  }
}
