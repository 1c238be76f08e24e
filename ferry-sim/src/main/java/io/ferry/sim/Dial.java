package io.ferry.sim;

import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Cancellable;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportException;
import java.util.concurrent.CompletableFuture;

/** One outgoing connection attempt of a {@link SimTransport}, from its SYN to its answer. */
final class Dial {
  final SimTransport dialer;
  final PeerAddress address;
  final NodeId target;
  final CompletableFuture<NodeId> future = new CompletableFuture<>();
  Cancellable timer = () -> false;

  Dial(SimTransport dialer, PeerAddress address, NodeId target) {
    this.dialer = dialer;
    this.address = address;
    this.target = target;
  }

  /** Whether the dialler still waits for an answer (not timed out, refused or closed). */
  boolean pending() {
    return !future.isDone() && dialer.isLive();
  }

  void complete(NodeId remote) {
    timer.cancel();
    dialer.dialDone(this);
    future.complete(remote);
  }

  void fail(TransportException e) {
    timer.cancel();
    dialer.dialDone(this);
    future.completeExceptionally(e);
  }
}
