package io.ferry.net.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualScheduler;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Redials with backoff in virtual time, until a peer is released. */
class PeerKeeperTest {
  private static final Backoff BACKOFF = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(4));

  private final MemoryNetwork network = new MemoryNetwork();
  private final ManualScheduler scheduler = new ManualScheduler();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private MemoryTransport transport(String host) {
    MemoryTransport t =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of(host, 1), TransportConfig.DEFAULT);
    open.add(t);
    return t;
  }

  private PeerKeeper keeper(MemoryTransport t) {
    PeerKeeper k = new PeerKeeper(t, scheduler, new SeededRandomSource(1), BACKOFF);
    open.add(k);
    return k;
  }

  @Test
  void aPeerThatComesUpLaterIsDialledOnceItsBackoffEnds() {
    MemoryTransport a = transport("a");
    PeerKeeper keeper = keeper(a);
    keeper.keep(PeerAddress.of("late", 1));
    assertThat(scheduler.pending()).isEqualTo(1); // the first dial failed; a redial waits
    MemoryTransport late = transport("late");
    scheduler.advance(BACKOFF.max());
    await().atMost(Duration.ofSeconds(5)).until(() -> a.isConnected(late.localId()));
    assertThat(keeper.addresses()).containsExactly(late.address().withId(late.localId()));
  }

  @Test
  void aReleasedPeerIsNotDialledAgain() {
    MemoryTransport a = transport("a");
    PeerKeeper keeper = keeper(a);
    PeerAddress gone = PeerAddress.of("gone", 1);
    keeper.keep(gone);
    assertThat(keeper.release(gone)).isEmpty(); // never reached: no id learned
    MemoryTransport up = transport("gone");
    scheduler.advance(Duration.ofMinutes(1));
    assertThat(a.peers()).isEmpty();
    assertThat(up.peers()).isEmpty();
    assertThat(keeper.addresses()).isEmpty();
  }

  @Test
  void releaseNamesTheIdItLearnedAndLeavesTheConnectionOpen() {
    MemoryTransport a = transport("a");
    MemoryTransport b = transport("b");
    PeerKeeper keeper = keeper(a);
    keeper.keep(b.address()); // with b's id
    await().atMost(Duration.ofSeconds(5)).until(() -> a.isConnected(b.localId()));
    assertThat(keeper.release(PeerAddress.of("b", 1))).contains(b.localId());
    b.disconnect(a.localId(), "test");
    await().atMost(Duration.ofSeconds(5)).until(() -> a.peers().isEmpty());
    scheduler.advance(Duration.ofMinutes(1));
    assertThat(a.peers()).isEmpty();
  }
}
