package io.ferry.sync.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.peers.Offence;
import io.ferry.net.testing.TestNet;
import io.ferry.net.testing.Wire;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.server.SnapshotServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serving side bounds the work each peer causes: one listing per peer per interval, never more
 * than 10 snapshots in it, a few chunk loads per peer and in all at once; and what the application
 * cannot serve becomes {@code missing}, not silence.
 */
@Timeout(60)
class SnapshotServerTest {
  @TempDir Path dir;
  private Rig rig;
  private Rig.Server server;
  private int peers;

  @AfterEach
  void close() {
    if (rig != null) {
      rig.close();
    }
  }

  /** A server of a log of {@code records} records (a snapshot every 50). */
  private Rig.Server serve(int records, SnapshotServer.Config config) {
    rig = new Rig(dir);
    server = rig.server(LogApplication.records(records, 40, 3), config);
    return server;
  }

  /** A peer that records what the server sends it. */
  private record Peer(Wire wire, NodeId server, List<Messages.Message> got) {
    void send(ByteString message) {
      wire.send(server, ProtocolId.SNAPSHOT_SYNC, message);
    }

    List<Snapshot> listed() {
      return got.stream()
          .filter(m -> m instanceof Messages.Listed)
          .map(m -> ((Messages.Listed) m).snapshot())
          .toList();
    }

    List<Messages.ChunkSent> chunks() {
      return got.stream()
          .filter(m -> m instanceof Messages.ChunkSent)
          .map(m -> (Messages.ChunkSent) m)
          .toList();
    }
  }

  private Peer peer() {
    Wire w = rig.net.transport(TestNet.key(100 + peers++));
    List<Messages.Message> got = new CopyOnWriteArrayList<>();
    w.register(
        ProtocolId.SNAPSHOT_SYNC,
        new ProtocolHandler() {
          @Override
          public void onMessage(NodeId from, ByteString payload) {
            got.add(Messages.decode(payload));
          }
        });
    rig.net.connect(w, server.wire);
    return new Peer(w, server.id(), got);
  }

  @Test
  void listsTheTenNewestSnapshotsNewestFirst() {
    serve(600, SnapshotServer.Config.DEFAULT); // snapshots at 50, 100, ... 600
    Peer p = peer();
    assertThat(server.log.listSnapshots()).hasSize(12);

    p.send(Messages.listRequest());
    rig.net.advance(Duration.ofMillis(100));

    assertThat(p.listed())
        .hasSize(Limits.MAX_SNAPSHOTS_PER_LISTING)
        .extracting(Snapshot::height)
        .containsExactly(600L, 550L, 500L, 450L, 400L, 350L, 300L, 250L, 200L, 150L);
    assertThat(server.server.stats().listings()).isEqualTo(1);
  }

  @Test
  void aPeerGetsOneListingPerInterval() {
    serve(100, SnapshotServer.Config.DEFAULT);
    Peer p = peer();
    Peer other = peer();

    p.send(Messages.listRequest());
    p.send(Messages.listRequest());
    other.send(Messages.listRequest());
    rig.net.advance(Duration.ofMillis(500));
    assertThat(p.listed()).hasSize(2); // heights 100 and 50, once
    assertThat(other.listed()).hasSize(2);
    p.send(Messages.listRequest());
    rig.net.advance(Duration.ofMillis(100)); // 0.6 s after the first: still too soon
    assertThat(p.listed()).hasSize(2);
    assertThat(server.server.stats().dropped()).isEqualTo(2);

    rig.net.advance(Duration.ofSeconds(1));
    p.send(Messages.listRequest());
    rig.net.advance(Duration.ofMillis(100));
    assertThat(p.listed()).hasSize(4);
    assertThat(server.server.stats().listings()).isEqualTo(3);
  }

  @Test
  void chunkLoadsAreBoundedPerPeerAndInAll() {
    serve(300, new SnapshotServer.Config(Duration.ofSeconds(1), 3, 5));
    Snapshot s = server.log.snapshot(300);
    Peer a = peer();
    Peer b = peer();
    server.executor.pause();

    for (int i = 0; i < 6; i++) {
      a.send(Messages.chunkWanted(300, s.format(), i));
      b.send(Messages.chunkWanted(300, s.format(), i));
    }
    rig.net.advance(Duration.ofMillis(100));
    // a's first three and b's first two take the five places; the other seven are dropped.
    assertThat(server.executor.held()).isEqualTo(5);
    assertThat(server.server.stats().dropped()).isEqualTo(7);

    server.executor.resume();
    rig.net.advance(Duration.ofMillis(100));
    assertThat(a.chunks()).extracting(Messages.ChunkSent::index).containsExactly(0, 1, 2);
    assertThat(b.chunks()).extracting(Messages.ChunkSent::index).containsExactly(0, 1);
    assertThat(a.chunks().get(0).chunk())
        .isEqualTo(server.log.loadSnapshotChunk(300, 1, 0).orElseThrow());
    assertThat(server.server.stats().chunksServed()).isEqualTo(5);

    // The places are free again.
    a.send(Messages.chunkWanted(300, s.format(), 7));
    rig.net.advance(Duration.ofMillis(100));
    assertThat(a.chunks()).extracting(Messages.ChunkSent::index).containsExactly(0, 1, 2, 7);
  }

  @Test
  void whatTheApplicationDoesNotHaveIsMissing() {
    serve(100, SnapshotServer.Config.DEFAULT);
    Peer p = peer();

    p.send(Messages.chunkWanted(300, 1, 0)); // no such height
    p.send(Messages.chunkWanted(100, 7, 0)); // no such format
    p.send(Messages.chunkWanted(100, 1, 100_000)); // no such chunk
    rig.net.advance(Duration.ofMillis(100));

    assertThat(p.chunks()).hasSize(3).allMatch(Messages.ChunkSent::missing);
    assertThat(server.server.stats().missing()).isEqualTo(3);
  }

  @Test
  void anApplicationThatThrowsAnswersMissingOrNothing() {
    serve(100, SnapshotServer.Config.DEFAULT);
    server.app.loadScript =
        (h, i, inner) -> {
          throw new IllegalStateException("disk gone");
        };
    Peer p = peer();

    p.send(Messages.chunkWanted(100, 1, 0));
    rig.net.advance(Duration.ofMillis(100));

    assertThat(p.chunks()).hasSize(1).allMatch(Messages.ChunkSent::missing);
  }

  @Test
  void aSnapshotWithTheLargestMetadataIsListedWithTheOthers() {
    serve(100, SnapshotServer.Config.DEFAULT);
    Snapshot huge =
        new Snapshot(
            1000,
            1,
            1,
            Bytes.wrap(new byte[32]),
            Bytes.wrap(new byte[io.ferry.core.Limits.MAX_SNAPSHOT_METADATA_BYTES]));
    server.app.extraListings.add(huge);
    Peer p = peer();

    p.send(Messages.listRequest());
    rig.net.advance(Duration.ofMillis(100));

    assertThat(p.listed()).extracting(Snapshot::height).containsExactly(1000L, 100L, 50L);
  }

  @Test
  void aChunkTooLargeToSendIsMissing() {
    serve(100, SnapshotServer.Config.DEFAULT);
    server.app.loadScript = (h, i, inner) -> Optional.of(Bytes.wrap(new byte[16_000_000]));
    Peer p = peer();

    p.send(Messages.chunkWanted(100, 1, 0));
    rig.net.advance(Duration.ofMillis(100));

    assertThat(p.chunks()).hasSize(1).allMatch(Messages.ChunkSent::missing);
    // The load's place is given back all the same.
    p.send(Messages.chunkWanted(100, 1, 1));
    rig.net.advance(Duration.ofMillis(100));
    assertThat(p.chunks()).hasSize(2);
  }

  @Test
  void aMessageThatDoesNotDecodeCostsItsSender() {
    serve(100, SnapshotServer.Config.DEFAULT);
    Peer p = peer();

    p.send(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, 1}));
    p.send(Messages.chunkSent(1, 1, 0, Bytes.EMPTY)); // well formed: an answer to nothing, dropped
    rig.net.advance(Duration.ofMillis(100));

    assertThat(server.wire.peerManager().standing(p.wire().localId()).score())
        .isEqualTo(-Offence.MALFORMED_MESSAGE.penalty());
    assertThat(server.reactor.dropped()).isEqualTo(1);
    assertThat(p.got()).isEmpty();
  }
}
