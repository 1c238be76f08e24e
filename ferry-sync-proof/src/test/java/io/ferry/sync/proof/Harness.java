package io.ferry.sync.proof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualClock;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.net.PeerAddress;
import io.ferry.net.ProtocolId;
import io.ferry.net.TransportConfig;
import io.ferry.net.TransportException;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.wire.v1.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A proof server on a MerkleDB and clients that send it raw requests, all over one {@link
 * MemoryNetwork}.
 */
final class Harness implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  final MemoryNetwork network = new MemoryNetwork();
  final MerkleDB db;
  final ManualClock clock = new ManualClock();
  final MemoryTransport serverTransport;
  final ProofSyncServer server;
  private final List<MemoryTransport> clients = new ArrayList<>();

  private Harness(MerkleDBConfig dbConfig, ProofServerConfig config, Executor executor) {
    db = MerkleDB.inMemory(dbConfig);
    serverTransport = transport("server");
    server =
        executor == null
            ? ProofSyncServer.start(serverTransport, db, config)
            : ProofSyncServer.start(serverTransport, db, config, executor, clock);
  }

  static Harness start(int historyLength) {
    return start(historyLength, ProofServerConfig.defaults().withThreads(2), null);
  }

  static Harness start(int historyLength, ProofServerConfig config, Executor executor) {
    return new Harness(
        MerkleDBConfig.defaults().withHistoryLength(historyLength).withSyncWrites(false),
        config,
        executor);
  }

  private MemoryTransport transport(String host) {
    return new MemoryTransport(
        network, NodeKey.generate().id(), PeerAddress.of(host, 1), TransportConfig.DEFAULT);
  }

  /** A new client, connected to the server. */
  MemoryTransport client() {
    MemoryTransport c = transport("client" + clients.size());
    clients.add(c);
    try {
      c.connect(serverTransport.address().withId(serverTransport.localId()))
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("connect failed", e);
    }
    return c;
  }

  CompletableFuture<ByteString> send(MemoryTransport client, Request request) {
    return send(client, request.toByteString());
  }

  CompletableFuture<ByteString> send(MemoryTransport client, ByteString payload) {
    return client.request(serverTransport.localId(), ProtocolId.PROOF_SYNC, payload, TIMEOUT);
  }

  static ByteString await(CompletableFuture<ByteString> f) {
    try {
      return f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("request failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Waits for {@code f} to fail and returns the transport's exception. */
  static TransportException awaitError(CompletableFuture<ByteString> f) {
    try {
      ByteString answer = f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      return fail("expected an error, got a response of " + answer.size() + " bytes");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(TransportException.class);
      return (TransportException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Asserts that the server answers {@code payload} with a typed error of {@code code}. */
  TransportException assertRemoteError(MemoryTransport client, ByteString payload, ErrorCode code) {
    TransportException e = awaitError(send(client, payload));
    assertThat(e.failure()).as("%s", e).isEqualTo(TransportException.Failure.REMOTE);
    assertThat(e.code()).as("%s", e).isEqualTo(code);
    return e;
  }

  @Override
  public void close() {
    server.close();
    clients.forEach(MemoryTransport::close);
    serverTransport.close();
    db.close();
  }
}
