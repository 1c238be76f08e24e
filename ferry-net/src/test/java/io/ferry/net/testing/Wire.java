package io.ferry.net.testing;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.Transport;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.net.peers.PeerManager;
import io.ferry.net.testing.Transit.Call;
import io.ferry.net.testing.Transit.Pair;
import java.time.Duration;
import java.util.Map;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A node's transport on a {@link TestNet}: a {@link MemoryTransport} (its engine, limits and peer
 * scoring are real) whose frames, answers and connection events are parked for {@link
 * TestNet#settle} instead of handed over on its threads. It can drop frames on arrival, as a
 * stalled peer would ({@link #filterInbound}).
 *
 * <p>Thread-safe, as every {@link Transport}.
 */
public final class Wire implements Transport {
  private final MemoryTransport delegate;
  private final Transit transit;
  private final Map<PeerListener, PeerListener> listeners = new ConcurrentHashMap<>();
  private volatile Predicate<ByteString> inbound = p -> true;
  private final AtomicLong droppedInbound = new AtomicLong();

  Wire(MemoryTransport delegate, Transit transit) {
    this.delegate = delegate;
    this.transit = transit;
  }

  /** From now on, frames that fail {@code keep} are dropped on arrival, as a stalled peer would. */
  public void filterInbound(Predicate<ByteString> keep) {
    this.inbound = keep;
  }

  /** Frames dropped by the inbound filter. */
  public long droppedInbound() {
    return droppedInbound.get();
  }

  @Override
  public NodeId localId() {
    return delegate.localId();
  }

  @Override
  public PeerAddress address() {
    return delegate.address();
  }

  @Override
  public void register(ProtocolId protocol, ProtocolHandler handler) {
    NodeId me = localId();
    delegate.register(
        protocol,
        new ProtocolHandler() {
          @Override
          public void onMessage(NodeId from, ByteString payload) {
            transit.arrived(
                payload,
                new Pair(from, me),
                () -> {
                  if (inbound.test(payload)) {
                    handler.onMessage(from, payload);
                  } else {
                    droppedInbound.incrementAndGet();
                  }
                });
          }

          @Override
          public void onRequest(NodeId from, ByteString payload, Responder responder) {
            transit.requestArrived(
                payload,
                new Pair(from, me),
                call -> () -> handler.onRequest(from, payload, answering(call, responder)));
          }
        });
  }

  /** A responder that counts its answer as a frame in transit to the requester. */
  private Responder answering(Call call, Responder responder) {
    return new Responder() {
      @Override
      public void respond(ByteString payload) {
        transit.answered(call);
        responder.respond(payload);
      }

      @Override
      public void fail(ErrorCode code, String message) {
        transit.answered(call);
        responder.fail(code, message);
      }

      @Override
      public boolean isCancelled() {
        return responder.isCancelled();
      }

      @Override
      public void onCancel(Runnable action) {
        responder.onCancel(action);
      }
    };
  }

  @Override
  public void addListener(PeerListener listener) {
    PeerListener parking =
        new PeerListener() {
          @Override
          public void onConnected(NodeId peer, boolean outbound) {
            transit.event(() -> listener.onConnected(peer, outbound));
          }

          @Override
          public void onDisconnected(NodeId peer, String reason) {
            transit.event(() -> listener.onDisconnected(peer, reason));
          }
        };
    listeners.put(listener, parking);
    delegate.addListener(parking);
  }

  @Override
  public void removeListener(PeerListener listener) {
    PeerListener parking = listeners.remove(listener);
    if (parking != null) {
      delegate.removeListener(parking);
    }
  }

  @Override
  public CompletableFuture<NodeId> connect(PeerAddress address) {
    return delegate.connect(address);
  }

  @Override
  public SortedSet<NodeId> peers() {
    return delegate.peers();
  }

  @Override
  public CompletableFuture<Void> send(NodeId peer, ProtocolId protocol, ByteString payload) {
    Pair pair = new Pair(localId(), peer);
    transit.sent(payload, pair);
    return delegate
        .send(peer, protocol, payload)
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                transit.notSent(pair);
              }
            });
  }

  @Override
  public CompletableFuture<ByteString> request(
      NodeId peer, ProtocolId protocol, ByteString payload, Duration timeout) {
    Call call = transit.request(payload, new Pair(localId(), peer));
    CompletableFuture<ByteString> answer = new CompletableFuture<>();
    delegate
        .request(peer, protocol, payload, timeout)
        .whenComplete(
            (bytes, error) ->
                transit.requestDone(
                    call,
                    () -> {
                      if (error != null) {
                        answer.completeExceptionally(error);
                      } else {
                        answer.complete(bytes);
                      }
                    }));
    return answer;
  }

  @Override
  public PeerManager peerManager() {
    return delegate.peerManager();
  }

  @Override
  public void disconnect(NodeId peer, String reason) {
    delegate.disconnect(peer, reason);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
