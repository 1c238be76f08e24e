package io.ferry.net.tcp;

import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.log.RateLimitedLog;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.net.PeerAddress;
import io.ferry.net.Transport;
import io.ferry.net.TransportConfig;
import io.ferry.net.TransportException;
import io.ferry.net.engine.Engine;
import io.ferry.net.engine.EngineTransport;
import io.ferry.net.metrics.TransportMetrics;
import io.ferry.net.peers.PeerManager;
import io.ferry.net.tls.TlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.traffic.ChannelTrafficShapingHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real {@link Transport}: TCP through Netty (native epoll where available), every connection
 * encrypted and mutually authenticated with TLS 1.3, where each side's certificate is signed by its
 * Ed25519 node key (the libp2p TLS scheme, see {@code io.ferry.net.tls}). Frames are
 * length-prefixed envelopes, limited before they are buffered; writes are bounded per connection;
 * idle connections get pings and dead ones are closed; inbound connections still in their handshake
 * are capped in all, per address, and with slots kept for known peers ({@link HandshakeSlots}).
 *
 * <p>Create with {@link #start}; close to release the port and threads. Thread-safe.
 */
public final class NettyTransport extends EngineTransport {
  private static final Logger log = LoggerFactory.getLogger(NettyTransport.class);

  /** How often the egress cap measures what was sent: short, so bursts stay small. */
  private static final long EGRESS_CHECK_INTERVAL_MS = 100;

  /** The longest a write waits for the egress cap before it goes anyway. */
  private static final long EGRESS_LONGEST_WAIT_MS = 15_000;

  private final Engine engine;
  private final TransportConfig config;
  private final TlsContexts tls;
  private final IoBackend backend;
  private final EventLoopGroup group;
  private final ExecutorScheduler scheduler;
  private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final HandshakeSlots handshakes = new HandshakeSlots();
  private final FrameBudget partialFrames;
  // Lines peers cause, bounded per kind so a flood cannot fill the disk.
  private final RateLimitedLog refusals;
  private final RateLimitedLog connectionLines;
  // Keyed by the whole address, expected id included: a dial only answers for the id it checks.
  private final Map<PeerAddress, CompletableFuture<NodeId>> dials = new ConcurrentHashMap<>();
  private final Channel server;
  private volatile boolean closed;

  @Override
  protected Engine engine() {
    return engine;
  }

  private NettyTransport(
      NodeKey key,
      InetSocketAddress bind,
      TransportConfig config,
      PeerManager.Config peerConfig,
      TransportMetrics metrics,
      int ioThreads) {
    this.config = config;
    this.partialFrames = new FrameBudget(config.maxPartialFrameBytes());
    this.tls = TlsContexts.create(key);
    this.backend = IoBackend.best();
    this.scheduler = new ExecutorScheduler("ferry-net-timer", 1);
    this.refusals = new RateLimitedLog(log, scheduler.clock());
    this.connectionLines = new RateLimitedLog(ConnectionHandler.log, scheduler.clock());
    this.engine =
        new Engine(
            key.id(), config, scheduler, new PeerManager(scheduler.clock(), peerConfig), metrics);
    this.group = backend.newGroup(ioThreads);
    try {
      this.server =
          new ServerBootstrap()
              .group(group)
              .channel(backend.serverChannel())
              .option(ChannelOption.SO_BACKLOG, 1024)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childOption(ChannelOption.SO_KEEPALIVE, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      accepted(ch);
                    }
                  })
              .bind(bind)
              .syncUninterruptibly()
              .channel();
    } catch (Exception e) { // Netty rethrows a failed bind's checked IOException unchecked
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      scheduler.close();
      throw io.ferry.core.IoErrors.cannotListen("peers", bind, e);
    }
    log.info(
        "node {} listening on {} ({}, TLS 1.3 via {})",
        key.id().shortString(),
        server.localAddress(),
        backend.name(),
        tls.provider());
  }

  /**
   * Listens on {@code bind} (port 0 picks a free one) and returns the running transport.
   *
   * @throws io.ferry.core.FerryException IO_ERROR when the address cannot be bound
   */
  public static NettyTransport start(NodeKey key, InetSocketAddress bind, TransportConfig config) {
    return start(key, bind, config, PeerManager.Config.DEFAULT, TransportMetrics.standalone());
  }

  public static NettyTransport start(
      NodeKey key,
      InetSocketAddress bind,
      TransportConfig config,
      PeerManager.Config peers,
      TransportMetrics metrics) {
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    return new NettyTransport(key, bind, config, peers, metrics, threads);
  }

  /** The bound address (with the real port when 0 was asked for). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) server.localAddress();
  }

  /** How others reach and authenticate this node: {@code ID@HOST:PORT}. */
  public PeerAddress address() {
    InetSocketAddress a = localAddress();
    return PeerAddress.of(localId(), a.getAddress().getHostAddress(), a.getPort());
  }

  /** "epoll" or "nio". */
  public String ioBackend() {
    return backend.name();
  }

  /** The TLS implementation in use: "OPENSSL" (BoringSSL) or "JDK". */
  public String tlsProvider() {
    return String.valueOf(tls.provider());
  }

  /** Inbound connections in their TLS handshake now. */
  int pendingInboundHandshakes() {
    return handshakes.pending();
  }

  /** Bytes of frames received in part, over all connections. */
  long partialFrameBytes() {
    return partialFrames.used();
  }

  /** An inbound connection: it gets a handshake slot, or is closed at once. */
  private void accepted(SocketChannel ch) {
    switch (handshakes.take(ch.remoteAddress().getAddress())) {
      case HandshakeSlots.Refused r -> {
        refusals.warn(
            "no handshake slot",
            "refused inbound connection from {}: {}",
            ch.remoteAddress(),
            r.reason());
        engine.metrics().refused();
        ch.close();
      }
      case HandshakeSlots.Slot slot -> {
        ch.closeFuture().addListener(f -> slot.release());
        pipeline(ch, false, Optional.empty(), new CompletableFuture<>());
        ch.pipeline().get(SslHandler.class).handshakeFuture().addListener(f -> slot.release());
      }
    }
  }

  private void pipeline(
      SocketChannel ch,
      boolean outbound,
      Optional<NodeId> expected,
      CompletableFuture<NodeId> done) {
    channels.add(ch);
    done.thenRun(() -> handshakes.remember(((InetSocketAddress) ch.remoteAddress()).getAddress()));
    SslHandler ssl = (outbound ? tls.client() : tls.server()).newHandler(ch.alloc());
    Duration handshakeTimeout = config.connectTimeout();
    if (!outbound && handshakeTimeout.compareTo(config.inboundHandshakeTimeout()) > 0) {
      handshakeTimeout = config.inboundHandshakeTimeout(); // silent strangers hold slots
    }
    ssl.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
    ChannelPipeline p = ch.pipeline();
    if (config.egressBytesPerSecond() > 0) {
      // Nearest the socket, so it counts the bytes TLS puts on the wire.
      p.addLast(
          "egress",
          new ChannelTrafficShapingHandler(
              config.egressBytesPerSecond(), 0, EGRESS_CHECK_INTERVAL_MS, EGRESS_LONGEST_WAIT_MS));
    }
    p.addLast("flush", new FlushConsolidationHandler(256, true));
    p.addLast("tls", ssl);
    p.addLast(
        "idle",
        new IdleStateHandler(
            config.idleTimeout().toMillis(),
            config.keepaliveInterval().toMillis(),
            0,
            TimeUnit.MILLISECONDS));
    p.addLast(
        "frames", new FrameDecoder(config.maxFrameBytes(), partialFrames, config.frameTimeout()));
    p.addLast("encoder", FrameEncoder.INSTANCE);
    p.addLast(
        "connection", new ConnectionHandler(engine, connectionLines, outbound, expected, done));
  }

  @Override
  public CompletableFuture<NodeId> connect(PeerAddress address) {
    if (closed) {
      return CompletableFuture.failedFuture(TransportException.disconnected("transport closed"));
    }
    if (address.expectedId().isPresent() && engine.isConnected(address.expectedId().get())) {
      return CompletableFuture.completedFuture(address.expectedId().get());
    }
    // Concurrent connects to one address expecting the same id share one dial.
    CompletableFuture<NodeId> fresh = new CompletableFuture<>();
    CompletableFuture<NodeId> existing = dials.putIfAbsent(address, fresh);
    if (existing != null) {
      return existing;
    }
    fresh.whenComplete((id, e) -> dials.remove(address, fresh));
    new Bootstrap()
        .group(group)
        .channel(backend.socketChannel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
        .handler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                pipeline(ch, true, address.expectedId(), fresh);
              }
            })
        .connect(address.host(), address.port())
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                engine.metrics().connectFailed();
                String cause = f.cause() == null ? "unknown" : f.cause().getMessage();
                log.info("dial {} failed: {}", address, cause);
                fresh.completeExceptionally(
                    TransportException.disconnected("cannot reach " + address + ": " + cause));
              }
            });
    return fresh;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.close().syncUninterruptibly();
    engine.close("node shutting down");
    // Goodbyes flush within a second (NettyLink's grace); then whatever is left is cut.
    channels.newCloseFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
    channels.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    scheduler.close();
    log.info("node {} transport closed", localId().shortString());
  }
}
