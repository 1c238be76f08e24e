package io.ferry.blocks.exchange;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.store.BlockStore;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SequencedMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving side (bitswap's decision engine): keeps the want-list each peer sends (at most {@link
 * Limits#MAX_WANT_LIST_ENTRIES} entries), answers want-haves with presences at once, and queues
 * want-blocks, highest priority first, sending them in messages of about {@link #MESSAGE_BYTES}
 * with one message in flight per peer, so a slow reader holds one message of our memory. Wants for
 * blocks not held stay listed: when such a block is stored later ({@link #stored}), a want-block is
 * served and a want-have answered with HAVE. Store reads run on the {@code io} executor, never on a
 * transport thread.
 *
 * <p>Thread-safe: each peer's state is guarded by its own lock.
 */
public final class BlockServer {
  /** Bytes of blocks a message is filled to before it is sent. */
  static final int MESSAGE_BYTES = 1 << 20;

  /** Wait before sending again to a peer whose connection buffer was full. */
  static final Duration OVERLOAD_BACKOFF = Duration.ofMillis(20);

  private static final Logger log = LoggerFactory.getLogger(BlockServer.class);

  /** Sends a message to a peer; completes when handed to the connection. */
  public interface Sender {
    java.util.concurrent.CompletableFuture<Void> send(NodeId peer, Messages.Message m);
  }

  private record Queued(Address address, int priority, long order) {}

  private final class PeerState {
    final NodeId peer;
    final SequencedMap<Address, Want> wants = new LinkedHashMap<>();
    final PriorityQueue<Queued> queue =
        new PriorityQueue<>(
            (a, b) ->
                a.priority != b.priority
                    ? Integer.compare(b.priority, a.priority)
                    : Long.compare(a.order, b.order));
    final List<Presence> presences = new ArrayList<>();
    boolean sending;
    boolean flushScheduled;
    long order;

    PeerState(NodeId peer) {
      this.peer = peer;
    }
  }

  private final BlockStore store;
  private final Scheduler scheduler;
  private final Executor io;
  private final Sender sender;
  // Sorted, so the peers told of a stored block are told in one order: a simulation replays.
  private final ConcurrentNavigableMap<NodeId, PeerState> peers = new ConcurrentSkipListMap<>();
  private final AtomicLong blocksSent = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();

  public BlockServer(BlockStore store, Scheduler scheduler, Executor io, Sender sender) {
    this.store = store;
    this.scheduler = scheduler;
    this.io = io;
    this.sender = sender;
  }

  public long blocksSent() {
    return blocksSent.get();
  }

  public long bytesSent() {
    return bytesSent.get();
  }

  /** Takes a want-list from {@code peer}; {@code full} replaces the one kept for it. */
  public void onWants(NodeId peer, List<Want> wants, boolean full) {
    PeerState s = peers.computeIfAbsent(peer, PeerState::new);
    List<Presence> answers = new ArrayList<>();
    synchronized (s) {
      if (full) {
        s.wants.clear();
        s.queue.clear();
      }
      for (Want w : wants) {
        if (w.cancel()) {
          s.wants.remove(w.address());
          s.queue.removeIf(q -> q.address().equals(w.address()));
          continue;
        }
        boolean held = held(w.address());
        if (w.have()) {
          answers.add(presence(w.address(), held, w.sendDontHave()));
          // A tree's presence changes as leaves arrive; a single block's only once.
          if (!held || isTree(w.address())) {
            keep(s, w);
          }
        } else if (held && !isTree(w.address())) {
          s.queue.add(new Queued(w.address(), w.priority(), s.order++));
        } else {
          if (w.sendDontHave()) {
            answers.add(Presence.dontHave(w.address()));
          }
          keep(s, w);
        }
      }
      answers.removeIf(a -> a == null);
      s.presences.addAll(answers);
    }
    pump(s);
  }

  private void keep(PeerState s, Want w) {
    if (s.wants.containsKey(w.address()) || s.wants.size() < Limits.MAX_WANT_LIST_ENTRIES) {
      s.wants.put(w.address(), w);
    }
  }

  private static boolean isTree(Address a) {
    return a instanceof Address.ByCid b && b.cid().codec() == Multicodec.FERRY_TREE;
  }

  private boolean held(Address a) {
    return switch (a) {
      case Address.Leaf l -> store.hasLeaf(l.tree(), l.index());
      case Address.ByCid b ->
          b.cid().codec() == Multicodec.FERRY_TREE
              ? store.heldCount(b.cid()) > 0
              : store.block(b.cid()).isPresent();
    };
  }

  private Presence presence(Address a, boolean held, boolean sendDontHave) {
    if (isTree(a)) {
      BitSet leaves = store.held(((Address.ByCid) a).cid());
      return leaves.isEmpty()
          ? (sendDontHave ? Presence.dontHave(a) : null)
          : Presence.leaves((Address.ByCid) a, leaves);
    }
    return held ? Presence.have(a) : (sendDontHave ? Presence.dontHave(a) : null);
  }

  /** A block was stored here: serves the peers that want it and tells those that asked. */
  public void stored(Cid tree, int index) {
    Address.Leaf leaf = new Address.Leaf(tree, index);
    Address.ByCid whole = new Address.ByCid(tree);
    for (PeerState s : peers.values()) {
      boolean changed = false;
      synchronized (s) {
        Want w = s.wants.get(leaf);
        if (w != null) {
          s.wants.remove(leaf);
          if (w.have()) {
            s.presences.add(Presence.have(leaf));
          } else {
            s.queue.add(new Queued(leaf, w.priority(), s.order++));
          }
          changed = true;
        } else if (s.wants.containsKey(whole)) {
          s.presences.add(Presence.have(leaf));
          changed = true;
        }
        if (changed && !s.flushScheduled) {
          // Batch the presences of blocks stored close together into one message.
          s.flushScheduled = true;
          scheduler.schedule(
              Duration.ofMillis(10),
              () -> {
                synchronized (s) {
                  s.flushScheduled = false;
                }
                pump(s);
              });
        }
      }
    }
  }

  /** Forgets a disconnected peer's want-list and queue. */
  public void forget(NodeId peer) {
    peers.remove(peer);
  }

  /** Wants kept for {@code peer}, for tests and status. */
  public int wantsKept(NodeId peer) {
    PeerState s = peers.get(peer);
    if (s == null) {
      return 0;
    }
    synchronized (s) {
      return s.wants.size();
    }
  }

  private void pump(PeerState s) {
    List<Presence> presences;
    List<Address> batch = new ArrayList<>();
    synchronized (s) {
      if (s.sending || (s.presences.isEmpty() && s.queue.isEmpty()) || peers.get(s.peer) != s) {
        return;
      }
      s.sending = true;
      presences = List.copyOf(s.presences);
      s.presences.clear();
      // Deliveries are read off the transport thread; presences ride along with them.
      while (!s.queue.isEmpty() && batch.size() < Limits.MAX_BLOCKS_PER_MESSAGE) {
        batch.add(s.queue.poll().address());
      }
    }
    io.execute(() -> send(s, presences, batch));
  }

  private void send(PeerState s, List<Presence> presences, List<Address> batch) {
    List<Delivery> blocks = new ArrayList<>();
    List<Presence> answers = new ArrayList<>(presences);
    int bytes = 0;
    int i = 0;
    for (; i < batch.size() && bytes < MESSAGE_BYTES; i++) {
      Optional<Delivery> d = read(batch.get(i));
      if (d.isPresent()) {
        blocks.add(d.get());
        bytes += d.get().data().length;
      } else {
        answers.add(Presence.dontHave(batch.get(i)));
      }
    }
    if (i < batch.size()) {
      synchronized (s) {
        for (int j = batch.size() - 1; j >= i; j--) {
          s.queue.add(new Queued(batch.get(j), Integer.MAX_VALUE, -j));
        }
      }
    }
    if (answers.size() > Limits.MAX_PRESENCES_PER_MESSAGE) {
      synchronized (s) {
        s.presences.addAll(0, answers.subList(Limits.MAX_PRESENCES_PER_MESSAGE, answers.size()));
      }
      answers = answers.subList(0, Limits.MAX_PRESENCES_PER_MESSAGE);
    }
    int sentBytes = bytes;
    int sentBlocks = blocks.size();
    List<Presence> sentAnswers = answers;
    sender
        .send(s.peer, new Messages.Message(List.of(), false, answers, blocks))
        .whenComplete(
            (ok, failure) -> {
              if (failure == null) {
                blocksSent.addAndGet(sentBlocks);
                bytesSent.addAndGet(sentBytes);
                synchronized (s) {
                  s.sending = false;
                }
                pump(s);
              } else {
                log.debug("block exchange: sending to {} failed: {}", s.peer, failure.toString());
                synchronized (s) {
                  // Keep the work for a retry: the connection's buffer was full, or it dropped
                  // (then forget() removes the state and pump() stops).
                  s.presences.addAll(0, sentAnswers);
                  for (Delivery d : blocks) {
                    s.queue.add(new Queued(d.address(), Integer.MAX_VALUE, -1));
                  }
                  s.sending = false;
                }
                scheduler.schedule(OVERLOAD_BACKOFF, () -> pump(s));
              }
            });
  }

  private Optional<Delivery> read(Address a) {
    return switch (a) {
      case Address.Leaf l ->
          store
              .leaf(l.tree(), l.index())
              .map(x -> new Delivery(a, x.data(), Optional.of(x.proof())));
      case Address.ByCid b -> store.block(b.cid()).map(x -> new Delivery(a, x, Optional.empty()));
    };
  }
}
