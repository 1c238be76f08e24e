package io.ferry.net.tcp;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.core.log.RateLimitedLog;
import io.ferry.net.TransportException;
import io.ferry.net.engine.Engine;
import io.ferry.net.peers.Admission;
import io.ferry.net.peers.Offence;
import io.ferry.net.tls.PeerIdentity;
import io.ferry.wire.v1.Envelope;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a connection's pipeline: turns the finished TLS handshake into an
 * authenticated {@link NettyLink} (checking the expected id and admission), hands frames to the
 * {@link Engine}, pings on write-idle, closes on read-idle, and turns every failure into one clear
 * log line and a closed connection. One instance per channel; runs on its event loop.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
  static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

  private final Engine engine;
  private final RateLimitedLog lines; // peers cause these lines: a flood must not fill the disk
  private final boolean outbound;
  private final Optional<NodeId> expected;
  private final CompletableFuture<NodeId> connected;
  private NettyLink link;
  private NettyLink awaiting; // outbound, authenticated, waiting for the peer's welcome

  /**
   * @param lines this class's log, shared by every connection of the transport
   * @param connected completed with the peer's id once the link is attached, or failed; for inbound
   *     connections a future nobody waits on
   */
  ConnectionHandler(
      Engine engine,
      RateLimitedLog lines,
      boolean outbound,
      Optional<NodeId> expected,
      CompletableFuture<NodeId> connected) {
    this.engine = engine;
    this.lines = lines;
    this.outbound = outbound;
    this.expected = expected;
    this.connected = connected;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof SslHandshakeCompletionEvent done) {
      if (done.isSuccess()) {
        authenticated(ctx);
      } else {
        handshakeFailed(ctx, done.cause());
      }
    } else if (evt instanceof IdleStateEvent idle) {
      switch (idle.state()) {
        case WRITER_IDLE -> {
          if (link != null) {
            link.ping();
          }
        }
        case READER_IDLE -> {
          String why = "nothing received for " + engine.config().idleTimeout().toSeconds() + "s";
          lines.info("idle", "closing idle connection with {}: {}", who(ctx), why);
          if (link != null) {
            link.abort("idle: " + why);
          } else {
            ctx.close();
          }
        }
        default -> {}
      }
    }
    super.userEventTriggered(ctx, evt);
  }

  private void authenticated(ChannelHandlerContext ctx) {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    NodeId remote;
    try {
      remote = PeerIdentity.of(ssl.engine().getSession());
    } catch (FerryException e) {
      handshakeFailed(ctx, e);
      return;
    }
    if (expected.isPresent() && !expected.get().equals(remote)) {
      String why =
          "peer at "
              + ctx.channel().remoteAddress()
              + " proved node id "
              + remote
              + ", not the expected "
              + expected.get();
      lines.warn("wrong id", "refused connection: {}", why);
      engine.metrics().connectFailed();
      connected.completeExceptionally(
          TransportException.refused(ErrorCode.VERIFICATION_FAILED, why));
      ctx.close();
      return;
    }
    Admission admission = engine.admit(remote, !outbound);
    if (!admission.allowed()) {
      lines.warn(
          "refused",
          "refused {} connection {} {} at {}: {}",
          outbound ? "outbound" : "inbound",
          outbound ? "to" : "from",
          remote.shortString(),
          ctx.channel().remoteAddress(),
          admission.reason());
      engine.metrics().refused();
      connected.completeExceptionally(
          TransportException.refused(ErrorCode.PERMISSION_DENIED, admission.reason()));
      // Tell the peer why, then close.
      new NettyLink(ctx.channel(), remote, outbound, engine.config().maxOutboundBufferBytes())
          .close(admission.reason());
      return;
    }
    NettyLink l =
        new NettyLink(ctx.channel(), remote, outbound, engine.config().maxOutboundBufferBytes());
    if (outbound) {
      // The dialler waits for the acceptor's welcome, so a connect only succeeds once the other
      // side has admitted us (a ban or full slots there fail the connect with its reason).
      awaiting = l;
      ctx.executor()
          .schedule(
              () -> {
                if (awaiting == l) {
                  awaiting = null;
                  lines.warn(
                      "no welcome", "no welcome from {} within the connect timeout", who(ctx, l));
                  connected.completeExceptionally(
                      TransportException.timeout("no welcome from " + remote + " in time"));
                  l.abort("no welcome");
                }
              },
              engine.config().connectTimeout().toMillis(),
              java.util.concurrent.TimeUnit.MILLISECONDS);
      return;
    }
    l.welcome();
    attach(ctx, l);
  }

  private void attach(ChannelHandlerContext ctx, NettyLink l) {
    NodeId remote = l.remote();
    if (engine.attach(l)) {
      // Listen for the close only now: a channel that closed during attach fires at once, so the
      // session never outlives its channel.
      ctx.channel().closeFuture().addListener(f -> engine.onClosed(l, l.closeReason()));
      link = l;
      connected.complete(remote);
    } else if (engine.isConnected(remote)) {
      connected.complete(remote); // lost a simultaneous-dial tie-break: the other link serves
    } else {
      connected.completeExceptionally(
          TransportException.refused(ErrorCode.PERMISSION_DENIED, "connection refused"));
    }
  }

  private void handshakeFailed(ChannelHandlerContext ctx, Throwable cause) {
    Throwable root = rootCause(cause);
    lines.warn(
        "handshake failed",
        "TLS handshake {} {} failed: {}",
        outbound ? "to" : "from",
        ctx.channel().remoteAddress(),
        root.getMessage() == null ? root.toString() : root.getMessage());
    engine.metrics().connectFailed();
    connected.completeExceptionally(
        TransportException.refused(
            ErrorCode.VERIFICATION_FAILED, "TLS handshake failed: " + root.getMessage()));
    ctx.close();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (awaiting != null && msg instanceof Envelope env) {
      NettyLink l = awaiting;
      awaiting = null;
      if (env.getKind() == io.ferry.wire.v1.Kind.KIND_WELCOME) {
        attach(ctx, l);
      } else {
        String why =
            env.getKind() == io.ferry.wire.v1.Kind.KIND_GOAWAY
                ? env.getError().getMessage()
                : "first frame was " + env.getKind() + ", not a welcome";
        lines.warn("refused by peer", "connection to {} refused by the peer: {}", who(ctx, l), why);
        engine.metrics().refused();
        connected.completeExceptionally(
            TransportException.refused(ErrorCode.PERMISSION_DENIED, "refused by peer: " + why));
        l.abort(why);
      }
      return;
    }
    if (link != null && msg instanceof Envelope env) {
      if (env.getKindValue() == io.ferry.wire.v1.Kind.KIND_GOAWAY_VALUE) {
        link.closedBy("peer said goodbye: " + env.getError().getMessage());
      }
      engine.onFrame(link, env);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable t =
        cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    if (t instanceof FerryException fe) {
      // A frame over the limit, malformed or too slow, or no room to buffer it: nothing more on
      // this connection is usable. Only what the peer did wrong costs it.
      lines.warn("bad frame", "closing connection with {}: {}", who(ctx), fe.getMessage());
      if (link != null) {
        Optional<Offence> offence =
            switch (fe.code()) {
              case LIMIT_EXCEEDED -> Optional.of(Offence.PROTOCOL_VIOLATION);
              case INVALID_ENCODING -> Optional.of(Offence.MALFORMED_MESSAGE);
              case TIMEOUT -> Optional.of(Offence.TIMEOUT);
              default -> Optional.empty();
            };
        offence.ifPresent(o -> engine.peerManager().report(link.remote(), o, fe.getMessage()));
      }
      abort(ctx, fe.getMessage());
    } else if (t instanceof javax.net.ssl.SSLException
        || rootCause(t) instanceof javax.net.ssl.SSLException) {
      // Handshake failures are reported by the completion event; later TLS errors close here.
      if (link != null) {
        lines.warn(
            "tls error",
            "closing connection with {}: TLS error: {}",
            who(ctx),
            rootCause(t).getMessage());
      }
      abort(ctx, "TLS error: " + rootCause(t).getMessage());
    } else if (t instanceof IOException) {
      log.debug("connection with {} failed: {}", who(ctx), t.getMessage());
      abort(ctx, "connection lost: " + t.getMessage());
    } else {
      lines.warn("unexpected", "closing connection with {} after an unexpected error", who(ctx), t);
      abort(ctx, "internal error: " + t);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (!connected.isDone()) {
      connected.completeExceptionally(
          TransportException.disconnected(
              "connection to " + ctx.channel().remoteAddress() + " closed during the handshake"));
    }
    super.channelInactive(ctx);
  }

  private void abort(ChannelHandlerContext ctx, String reason) {
    if (link != null) {
      link.abort(reason);
    } else {
      ctx.close();
    }
  }

  private String who(ChannelHandlerContext ctx) {
    return who(ctx, link);
  }

  private static String who(ChannelHandlerContext ctx, NettyLink l) {
    return l != null
        ? l.remote().shortString() + " at " + ctx.channel().remoteAddress()
        : String.valueOf(ctx.channel().remoteAddress());
  }

  private static Throwable rootCause(Throwable t) {
    Throwable r = t;
    while (r.getCause() != null && r.getCause() != r) {
      r = r.getCause();
    }
    return r;
  }
}
