package io.ferry.sync.push;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.gossip.head.HeadTrust;
import io.ferry.merkledb.MerkleDB;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.testing.TestNet;
import io.ferry.net.testing.Wire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Push-sync nodes on one {@link TestNet}, in virtual time: a producer whose commits are made on its
 * own store with signed heads and handed to its {@link PushServer}, and subscribers whose {@link
 * PushClient} hands pushed commits to a sink that re-applies them to their own store with {@link
 * CommitReplay} (and, for a relay, hands what it applied to its own server). For tests only.
 */
final class PushRig implements AutoCloseable {
  final TestNet net = new TestNet();
  final Chain chain;
  final Node producer;
  private final List<MerkleDB> stores = new ArrayList<>();
  private int seeds = 100;

  /** A sink's record of one commit handed to it. */
  record Handed(NodeId from, long height, Applied applied) {}

  /** A node: its transport, store, pusher and push-sync handler, and its client if it has one. */
  final class Node {
    final NodeKey key;
    final Wire wire;
    final MerkleDB db;
    final PushServer server;
    final PushSync sync;
    final List<Handed> handed = new ArrayList<>();
    PushClient client;
    boolean relay;

    /** How long the sink takes to apply a commit, in virtual time; zero applies it at once. */
    Duration sinkDelay = Duration.ZERO;

    /** When set, the sink applies nothing and answers this (a store busy catching up). */
    Optional<Applied> busy = Optional.empty();

    /** The heads the client says it holds. */
    Supplier<List<KnownHead>> heads = this::storeHead;

    Node(
        NodeKey key,
        MerkleDB db,
        PushConfig config,
        Optional<ProtocolHandler> poll,
        Subscriptions subscriptions) {
      this.key = key;
      this.wire = net.transport(key);
      this.db = db;
      this.server = new PushServer(wire, net.scheduler().clock(), config, subscriptions);
      this.sync = net.closeLater(new PushSync(wire, server, poll));
    }

    NodeId id() {
      return key.id();
    }

    /** Subscribes, preferring the producer, trusting the producer's heads. */
    Node subscribe(PushConfig config) {
      return subscribe(config, Optional.of(producer.id()));
    }

    Node subscribe(PushConfig config, Optional<NodeId> preferred) {
      client =
          new PushClient(
              config,
              wire,
              net.scheduler(),
              new SeededRandomSource(key.id().hashCode()),
              preferred,
              HeadTrust.producer(producer.id()),
              () -> heads.get(),
              (from, c) -> {
                if (sinkDelay.isZero()) {
                  return CompletableFuture.completedFuture(apply(from, c));
                }
                CompletableFuture<Applied> later = new CompletableFuture<>();
                net.scheduler().schedule(sinkDelay, () -> later.complete(apply(from, c)));
                return later;
              });
      sync.attach(client);
      net.settle();
      return this;
    }

    private List<KnownHead> storeHead() {
      return List.of(KnownHead.of(db.revision()));
    }

    private Applied apply(NodeId from, Commit c) {
      Applied a = busy.orElseGet(() -> CommitReplay.replay(db, c));
      handed.add(new Handed(from, c.height(), a));
      if (relay && a == Applied.APPLIED) {
        server.onCommit(c);
      }
      return a;
    }

    /** Commits applied here, by the peer that pushed them. */
    long applied() {
      return handed.stream().filter(h -> h.applied() == Applied.APPLIED).count();
    }

    /** Whether this node's store is at the producer's head. */
    boolean current() {
      return db.revision().equals(chain.db.revision());
    }

    int score(NodeId peer) {
      return wire.peerManager().standing(peer).score();
    }

    Optional<NodeId> source() {
      return client.stats().source();
    }
  }

  /** A peer speaking push sync by hand: it sends what a test tells it and keeps what is pushed. */
  final class Raw {
    final NodeKey key = TestNet.key(seeds++);
    final Wire wire = net.transport(key);
    final List<Messages.PushMsg> pushes = new ArrayList<>();

    Raw() {
      wire.register(
          ProtocolId.PUSH_SYNC,
          new ProtocolHandler() {
            @Override
            public void onMessage(NodeId from, ByteString payload) {
              pushes.add((Messages.PushMsg) Messages.decode(payload));
            }
          });
    }

    NodeId id() {
      return key.id();
    }

    /** Subscribes at {@code to} and waits for the answer. */
    Optional<Messages.Granted> subscribe(Node to, int seconds, long budget, KnownHead known) {
      return Messages.decodeAnswer(
          done(request(to, Messages.subscribe(seconds, budget, List.of(known)))));
    }

    CompletableFuture<ByteString> request(Node to, ByteString payload) {
      CompletableFuture<ByteString> f =
          wire.request(to.id(), ProtocolId.PUSH_SYNC, payload, Duration.ofSeconds(30));
      net.settle();
      return f;
    }

    void send(Node to, ByteString payload) {
      wire.send(to.id(), ProtocolId.PUSH_SYNC, payload);
      net.settle();
    }

    /** Every commit pushed here, in order. */
    List<Commit> commits() {
      return pushes.stream().flatMap(p -> p.commits().stream()).toList();
    }
  }

  /** A raw peer connected to {@code to}. */
  Raw raw(Node to) {
    Raw r = new Raw();
    net.connect(r.wire, to.wire);
    return r;
  }

  PushRig(PushConfig producerConfig) {
    NodeKey key = TestNet.key(1);
    chain = new Chain(key, 1);
    producer = new Node(key, chain.db, producerConfig, Optional.empty(), new Subscriptions());
  }

  /** A node on a store of its own, not yet connected to any. */
  Node node(PushConfig config) {
    return node(config, Optional.empty());
  }

  Node node(PushConfig config, Optional<ProtocolHandler> poll) {
    return node(config, poll, new Subscriptions());
  }

  /** A node that takes at most {@code capacity} subscriptions. */
  Node node(PushConfig config, int capacity) {
    return node(config, Optional.empty(), new Subscriptions(capacity));
  }

  private Node node(PushConfig config, Optional<ProtocolHandler> poll, Subscriptions table) {
    MerkleDB db = Chain.newDb();
    stores.add(db);
    return new Node(TestNet.key(seeds++), db, config, poll, table);
  }

  /** A node connected to the producer, subscribing with {@code config}. */
  Node subscriber(PushConfig config) {
    return subscriber(config, Duration.ZERO);
  }

  /** A node connected to the producer, subscribing, whose sink takes {@code sinkDelay}. */
  Node subscriber(PushConfig config, Duration sinkDelay) {
    Node n = node(config);
    n.sinkDelay = sinkDelay;
    connect(n, producer);
    return n.subscribe(config);
  }

  void connect(Node from, Node to) {
    net.connect(from.wire, to.wire);
  }

  /** The producer commits a random batch and pushes it; the network settles. */
  Commit commit(int changes) {
    Commit c = chain.commitRandom(changes);
    producer.server.onCommit(c);
    net.settle();
    return c;
  }

  static <T> T done(CompletableFuture<T> f) {
    try {
      return f.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("not answered", e);
    }
  }

  @Override
  public void close() {
    net.close();
    chain.close();
    stores.forEach(MerkleDB::close);
  }
}
