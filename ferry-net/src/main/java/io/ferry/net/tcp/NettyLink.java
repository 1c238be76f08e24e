package io.ferry.net.tcp;

import io.ferry.core.identity.NodeId;
import io.ferry.net.TransportException;
import io.ferry.net.engine.Link;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.Error;
import io.ferry.wire.v1.Kind;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Link} over an authenticated Netty channel. Counts the bytes written but not yet taken by
 * the socket and refuses writes past the bound, so a peer that reads slowly costs its sender a
 * bounded amount of memory. Thread-safe: Netty queues writes from other threads onto the channel's
 * event loop.
 */
final class NettyLink implements Link {
  /** How long a goodbye may take to flush before the channel is closed regardless. */
  private static final long GOODBYE_GRACE_MILLIS = 1000;

  private static final Envelope PING = Envelope.newBuilder().setKind(Kind.KIND_PING).build();
  private static final Envelope WELCOME = Envelope.newBuilder().setKind(Kind.KIND_WELCOME).build();

  private final Channel channel;
  private final NodeId remote;
  private final boolean outbound;
  private final long maxQueuedBytes;
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicBoolean closing = new AtomicBoolean();
  private volatile String closeReason;

  NettyLink(Channel channel, NodeId remote, boolean outbound, long maxQueuedBytes) {
    this.channel = channel;
    this.remote = remote;
    this.outbound = outbound;
    this.maxQueuedBytes = maxQueuedBytes;
  }

  @Override
  public NodeId remote() {
    return remote;
  }

  @Override
  public boolean outbound() {
    return outbound;
  }

  @Override
  public String address() {
    return String.valueOf(channel.remoteAddress());
  }

  /** Bytes written and not yet flushed to the socket. */
  long queuedBytes() {
    return queuedBytes.get();
  }

  @Override
  public CompletableFuture<Void> write(Envelope envelope) {
    if (closing.get() || !channel.isActive()) {
      return CompletableFuture.failedFuture(
          TransportException.disconnected("connection to " + remote + " is closed"));
    }
    long size = FrameDecoder.HEADER_BYTES + (long) envelope.getSerializedSize();
    if (queuedBytes.addAndGet(size) > maxQueuedBytes) {
      queuedBytes.addAndGet(-size);
      return CompletableFuture.failedFuture(
          TransportException.overloaded(
              "outbound buffer to "
                  + remote.shortString()
                  + " is full ("
                  + maxQueuedBytes
                  + " bytes): the peer reads slower than we write"));
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    channel
        .writeAndFlush(envelope)
        .addListener(
            f -> {
              queuedBytes.addAndGet(-size);
              if (f.isSuccess()) {
                done.complete(null);
              } else {
                done.completeExceptionally(
                    TransportException.disconnected(
                        "write to " + remote.shortString() + " failed: " + f.cause()));
              }
            });
    return done;
  }

  void welcome() {
    channel.writeAndFlush(WELCOME, channel.voidPromise());
  }

  void ping() {
    if (!closing.get() && channel.isWritable()) {
      channel.writeAndFlush(PING, channel.voidPromise());
    }
  }

  @Override
  public void close(String reason) {
    if (closing.compareAndSet(false, true)) {
      closeReason = reason;
      Envelope goodbye =
          Envelope.newBuilder()
              .setKind(Kind.KIND_GOAWAY)
              .setError(Error.newBuilder().setMessage(reason))
              .build();
      channel.writeAndFlush(goodbye).addListener(ChannelFutureListener.CLOSE);
      // A peer that does not read would hold the goodbye (and this channel) forever.
      channel
          .eventLoop()
          .schedule(() -> channel.close(), GOODBYE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  /** Closes at once without a goodbye: the peer broke the protocol or the connection is dead. */
  void abort(String reason) {
    if (closing.compareAndSet(false, true)) {
      closeReason = reason;
    }
    channel.close();
  }

  /** Records why the peer ended the connection, if we had not decided to close it ourselves. */
  void closedBy(String reason) {
    if (closeReason == null) {
      closeReason = reason;
    }
  }

  String closeReason() {
    String r = closeReason;
    return r == null ? "connection closed by peer" : r;
  }
}
