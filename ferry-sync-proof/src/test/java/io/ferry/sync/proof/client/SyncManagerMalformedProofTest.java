package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.net.PeerAddress;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.TransportConfig;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.wire.v1.ProofNode;
import io.ferry.wire.v1.RangeProof;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A server whose proofs are malformed in their nodes is a liar, not a busy server. */
@Timeout(60)
class SyncManagerMalformedProofTest {
  private final MemoryNetwork network = new MemoryNetwork();
  private final List<AutoCloseable> closers = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  @Test
  void aProofWithAMalformedNodeIsALieAndBansItsServer() throws Exception {
    MemoryTransport server =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of("s", 1), TransportConfig.DEFAULT);
    closers.add(server);
    // Parses as a RangeProof, but its proof node has a child id of 5 bytes: decoding it fails
    // with a ProofException (VERIFICATION_FAILED), not INVALID_ENCODING.
    ByteString malformed =
        RangeProof.newBuilder()
            .addEndProof(ProofNode.newBuilder().putChildren(0, ByteString.copyFrom(new byte[5])))
            .build()
            .toByteString();
    server.register(
        ProtocolId.PROOF_SYNC,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder r) {
            r.respond(malformed);
          }
        });
    MemoryTransport client =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of("c", 1), TransportConfig.DEFAULT);
    closers.add(client);
    client.connect(server.address()).get(5, TimeUnit.SECONDS);
    ExecutorScheduler scheduler = new ExecutorScheduler("sync", 1);
    closers.add(scheduler);
    SyncManager sync =
        new SyncManager(
            SyncConfig.DEFAULT.withWorkLimit(1),
            client,
            scheduler,
            new SeededRandomSource(1),
            new MemorySyncStore(),
            sorted -> someRoot(),
            p -> true);
    closers.add(sync);
    sync.start(someRoot());

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(sync.stats().lies()).isGreaterThanOrEqualTo(2));
    assertThat(client.peerManager().isBanned(server.localId())).isTrue();
  }

  private static Hash someRoot() {
    byte[] b = new byte[Hash.LENGTH];
    b[0] = 1;
    return Hash.of(b);
  }
}
