package io.ferry.gossip.head;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.Scheduler;
import io.ferry.gossip.PeerRateLimit;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.Transport;
import io.ferry.net.peers.Offence;
import io.ferry.wire.v1.GossipMessage;
import io.ferry.wire.v1.GossipRequest;
import io.ferry.wire.v1.HeadRequest;
import io.ferry.wire.v1.HeadResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves signed heads between peers on {@link ProtocolId#GOSSIP}. Every node answers a head request
 * with the newest head it holds; a node that trusts a producer or a root also asks its peers every
 * poll interval (and as soon as one connects), accepts the newer heads its {@link HeadTrust}
 * allows, and announces each accepted head to its peers, so heads relay through followers.
 *
 * <p>A peer that sends a trusted-looking head with a bad signature is reported for {@link
 * Offence#INVALID_PROOF}; bytes that do not decode cost {@link Offence#MALFORMED_MESSAGE}; a head
 * from a producer this node does not trust is refused and logged once per peer and producer (for
 * the last {@link #MAX_REFUSALS_LOGGED} such pairs), with no penalty (the peer may trust it). Heads
 * no newer than the newest held, and heads the local store has already passed (the {@code passed}
 * test: below its height, or at it with another root), are ignored before their signature is
 * checked, so replaying old heads costs us nothing and moves nothing back, after a restart too.
 * Each peer may announce at most {@link Limits#MAX_GOSSIP_MESSAGES_PER_PEER_PER_SECOND} messages a
 * second (a burst of {@link Limits#MAX_GOSSIP_MESSAGE_BURST}); the rest are dropped undecoded and
 * counted.
 *
 * <p>A node trusting a producer relays the heads it accepts. A node trusting a root accepts one
 * head naming that root, whoever signed it, and never relays it: its signer is a stranger, and the
 * height it claims is the signer's word, not something to spread.
 *
 * <p>All decisions run on the given {@link Scheduler}, so the simulator can run it; {@code onNewer}
 * is called there too. Thread-safe.
 */
public final class HeadExchange implements AutoCloseable {
  /** Peer and producer pairs whose refused heads are remembered as logged. */
  static final int MAX_REFUSALS_LOGGED = 256;

  /** Peers whose announcement rate is tracked; more than a node ever connects to. */
  private static final int MAX_RATE_TRACKED_PEERS = 4096;

  private static final Logger log = LoggerFactory.getLogger(HeadExchange.class);
  private static final ByteString HEAD_REQUEST =
      GossipRequest.newBuilder()
          .setHeadRequest(HeadRequest.getDefaultInstance())
          .build()
          .toByteString();

  /** Counts of heads judged since start. */
  public record Stats(long accepted, long foreign, long forged, long malformed, long dropped) {}

  private final Transport transport;
  private final Scheduler scheduler;
  private final HeadTrust trust;
  private final Duration pollInterval;
  private final Duration requestTimeout;
  private final Consumer<SignedHead> onNewer;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong foreign = new AtomicLong();
  private final AtomicLong forged = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final Predicate<SignedHead> passed;
  // Touched on the scheduler only.
  private final Set<NodeId> polling = new HashSet<>();
  private final Set<String> refusalsLogged =
      Collections.newSetFromMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > MAX_REFUSALS_LOGGED;
            }
          });
  private final PeerRateLimit announcements;
  private Cancellable nextPoll;
  private volatile SignedHead newest;
  private volatile boolean closed;

  private HeadExchange(
      Transport transport,
      Scheduler scheduler,
      HeadTrust trust,
      Duration pollInterval,
      Duration requestTimeout,
      Predicate<SignedHead> passed,
      Consumer<SignedHead> onNewer) {
    this.transport = transport;
    this.scheduler = scheduler;
    this.trust = trust;
    this.pollInterval = pollInterval;
    this.requestTimeout = requestTimeout;
    this.passed = passed;
    this.onNewer = onNewer;
    this.announcements =
        new PeerRateLimit(
            scheduler.clock(),
            Limits.MAX_GOSSIP_MESSAGES_PER_PEER_PER_SECOND,
            Limits.MAX_GOSSIP_MESSAGE_BURST,
            MAX_RATE_TRACKED_PEERS);
  }

  /**
   * Starts an exchange that judges heads by the newest held only: for a node that accepts none from
   * peers, or whose store holds nothing it could be taken back from.
   *
   * @see #start(Transport, Scheduler, HeadTrust, Duration, Duration, Predicate, Consumer)
   */
  public static HeadExchange start(
      Transport transport,
      Scheduler scheduler,
      HeadTrust trust,
      Duration pollInterval,
      Duration requestTimeout,
      Consumer<SignedHead> onNewer) {
    return start(transport, scheduler, trust, pollInterval, requestTimeout, h -> false, onNewer);
  }

  /**
   * Registers the gossip protocol on {@code transport} and, when {@code pollInterval} is positive
   * and {@code trust} accepts any head, starts asking peers for theirs.
   *
   * @param passed true for a head the local store has already passed, asked of each head: those are
   *     ignored, so a replayed old head never sends the store backwards
   * @param onNewer told of each newer head accepted from a peer, on the scheduler
   */
  public static HeadExchange start(
      Transport transport,
      Scheduler scheduler,
      HeadTrust trust,
      Duration pollInterval,
      Duration requestTimeout,
      Predicate<SignedHead> passed,
      Consumer<SignedHead> onNewer) {
    HeadExchange exchange =
        new HeadExchange(
            transport, scheduler, trust, pollInterval, requestTimeout, passed, onNewer);
    transport.register(ProtocolId.GOSSIP, exchange.new Handler());
    if (exchange.polls()) {
      transport.addListener(
          new PeerListener() {
            @Override
            public void onConnected(NodeId peer, boolean outbound) {
              scheduler.execute(() -> exchange.poll(peer));
            }
          });
      scheduler.execute(exchange::pollAll);
    }
    return exchange;
  }

  private boolean polls() {
    return pollInterval.isPositive() && trust.acceptsAny();
  }

  /** The newest head accepted or published. */
  public Optional<SignedHead> newest() {
    return Optional.ofNullable(newest);
  }

  public HeadTrust trust() {
    return trust;
  }

  /** Peer and producer pairs remembered as logged; at most {@link #MAX_REFUSALS_LOGGED}. */
  int refusalsRemembered() {
    CompletableFuture<Integer> size = new CompletableFuture<>();
    scheduler.execute(() -> size.complete(refusalsLogged.size()));
    return size.join();
  }

  public Stats stats() {
    return new Stats(accepted.get(), foreign.get(), forged.get(), malformed.get(), dropped.get());
  }

  /**
   * Makes {@code own} this node's newest head and announces it: how a producer hands out the head
   * it just committed and signed. {@code onNewer} is not called.
   */
  public void publish(SignedHead own) {
    scheduler.execute(
        () -> {
          SignedHead current = newest;
          if (current == null || own.height() > current.height()) {
            newest = own;
            announce(own, null);
          }
        });
  }

  // ------------------------------------------------------------------ polling

  private void pollAll() {
    if (closed) {
      return;
    }
    for (NodeId peer : transport.peers()) {
      poll(peer);
    }
    nextPoll = scheduler.schedule(pollInterval, this::pollAll);
  }

  private void poll(NodeId peer) {
    if (closed || !polling.add(peer)) {
      return;
    }
    transport
        .request(peer, ProtocolId.GOSSIP, HEAD_REQUEST, requestTimeout)
        .whenComplete(
            (answer, error) ->
                scheduler.execute(
                    () -> {
                      polling.remove(peer);
                      if (error != null) {
                        log.debug(
                            "head request to {} failed: {}", peer.shortString(), error.toString());
                      } else {
                        onAnswer(peer, answer);
                      }
                    }));
  }

  private void onAnswer(NodeId peer, ByteString answer) {
    HeadResponse response = decode(peer, answer, HeadResponse.parser(), "a head response");
    if (response != null && response.hasHead()) {
      consider(peer, response.getHead());
    }
  }

  private void onAnnouncement(NodeId peer, ByteString payload) {
    if (!announcements.tryTake(peer)) {
      if (dropped.incrementAndGet() % 1000 == 1) {
        log.debug("dropping gossip from {}: over its rate", peer.shortString());
      }
      return;
    }
    GossipMessage message = decode(peer, payload, GossipMessage.parser(), "a gossip message");
    if (message == null) {
      return;
    }
    switch (message.getMessageCase()) {
      case HEAD -> consider(peer, message.getHead());
      case MESSAGE_NOT_SET ->
          log.debug("ignoring a gossip message kind we do not know from {}", peer);
    }
  }

  // ------------------------------------------------------------------ judging

  private void consider(NodeId peer, io.ferry.wire.v1.SignedHead proto) {
    if (closed) {
      return;
    }
    SignedHead head;
    try {
      head = SignedHead.fromProto(proto);
    } catch (FerryException e) {
      malformed(peer, "a malformed signed head: " + e.getMessage());
      return;
    }
    if (passed.test(head)) {
      return; // the store is past it already: an old head, perhaps replayed after a restart
    }
    SignedHead current = newest;
    if (current != null && head.height() <= current.height()) {
      if (head.height() == current.height()
          && !head.root().equals(current.root())
          && head.producer().equals(current.producer())
          && trust.judge(head) == HeadTrust.Verdict.ACCEPT) {
        log.warn(
            "producer {} signed two roots at height {}: kept {}, {} relayed {}",
            head.producer(),
            head.height(),
            current.root().toHex(),
            peer.shortString(),
            head.root().toHex());
      }
      return;
    }
    switch (trust.judge(head)) {
      case ACCEPT -> {
        if (current != null && trust.root().isPresent()) {
          return; // a trusted root is reached once; a stranger's later heights move nothing
        }
        accepted.incrementAndGet();
        newest = head;
        log.debug("accepted {} from {}", head, peer.shortString());
        if (trust.producer().isPresent()) {
          announce(head, peer);
        }
        onNewer.accept(head);
      }
      case FOREIGN -> {
        foreign.incrementAndGet();
        if (refusalsLogged.add(peer + "/" + head.producer())) {
          log.info("refused {} from peer {}: this node trusts {}", head, peer.shortString(), trust);
        }
      }
      case FORGED -> {
        forged.incrementAndGet();
        log.warn("peer {} sent a forged {}: its signature does not verify", peer, head);
        transport
            .peerManager()
            .report(peer, Offence.INVALID_PROOF, "forged signed head at height " + head.height());
      }
    }
  }

  /** Parses a peer's message, or reports it malformed and returns null. */
  private <M> M decode(NodeId peer, ByteString bytes, Parser<M> parser, String what) {
    if (bytes.size() > Limits.MAX_GOSSIP_MESSAGE_BYTES) {
      malformed(peer, what + " of " + bytes.size() + " bytes");
      return null;
    }
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      malformed(peer, what + " that does not decode: " + e.getMessage());
      return null;
    }
  }

  private void malformed(NodeId peer, String what) {
    malformed.incrementAndGet();
    log.warn("peer {} sent {}", peer, what);
    transport.peerManager().report(peer, Offence.MALFORMED_MESSAGE, what);
  }

  /** Tells every peer but {@code from} of {@code head}; a full outbound buffer drops the news. */
  private void announce(SignedHead head, NodeId from) {
    ByteString message = GossipMessage.newBuilder().setHead(head.toProto()).build().toByteString();
    for (NodeId peer : transport.peers()) {
      if (!peer.equals(from)) {
        transport
            .send(peer, ProtocolId.GOSSIP, message)
            .exceptionally(
                e -> {
                  log.debug(
                      "could not announce {} to {}: {}", head, peer.shortString(), e.toString());
                  return null;
                });
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    scheduler.execute(
        () -> {
          if (nextPoll != null) {
            nextPoll.cancel();
          }
        });
  }

  /** The transport's side: answers head requests and takes announcements. */
  private final class Handler implements ProtocolHandler {
    @Override
    public void onMessage(NodeId from, ByteString payload) {
      scheduler.execute(() -> onAnnouncement(from, payload));
    }

    @Override
    public void onRequest(NodeId from, ByteString payload, Responder responder) {
      if (payload.size() > Limits.MAX_GOSSIP_MESSAGE_BYTES) {
        responder.fail(ErrorCode.INVALID_ENCODING, "gossip requests are at most 1 KiB");
        return;
      }
      GossipRequest request;
      try {
        request = GossipRequest.parseFrom(payload);
      } catch (InvalidProtocolBufferException e) {
        responder.fail(ErrorCode.INVALID_ENCODING, "not a gossip request: " + e.getMessage());
        return;
      }
      switch (request.getMessageCase()) {
        case HEAD_REQUEST -> {
          HeadResponse.Builder answer = HeadResponse.newBuilder();
          SignedHead head = newest;
          if (head != null) {
            answer.setHead(head.toProto());
          }
          responder.respond(answer.build().toByteString());
        }
        case MESSAGE_NOT_SET ->
            responder.fail(ErrorCode.UNSUPPORTED, "a gossip request kind this node does not know");
      }
    }
  }
}
