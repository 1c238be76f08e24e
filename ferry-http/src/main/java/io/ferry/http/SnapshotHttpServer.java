package io.ferry.http;

import io.ferry.core.FerryException;
import io.ferry.core.IoErrors;
import io.ferry.net.tcp.IoBackend;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.traffic.ChannelTrafficShapingHandler;
import io.netty.handler.traffic.GlobalTrafficShapingHandler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 snapshot service: Agave's download paths over one archive directory.
 *
 * <ul>
 *   <li>{@code /} and {@code /ui/…}: a status page, when one is given ({@link StaticFiles});
 *   <li>{@code /snapshot.tar.bz2|zst} and {@code /incremental-snapshot.tar.bz2|zst}: 303 to the
 *       newest archive of that kind, 404 when there is none;
 *   <li>{@code /<archive name>} and {@code /genesis.tar.bz2}: the file, zero-copy, with ETag,
 *       Last-Modified, single-range {@code Range} and {@code If-Range};
 *   <li>{@code /health}: {@code ok}, {@code behind} or {@code unknown}; {@code /metrics}: the
 *       Prometheus registry of the given {@link HttpMetrics}; {@code /status}: a JSON document,
 *       when a {@link StatusSource} is given;
 *   <li>each {@link HttpRoute} the application adds: what its handler answers (a node's verified
 *       reads at {@code /v1/state/…});
 *   <li>each {@link HttpStreamRoute}: any method, the request body streamed in and the answer
 *       streamed out (a node's data API at {@code /api/v1/data});
 *   <li>anything else 404, and paths with separators, escapes or dot segments 400.
 * </ul>
 *
 * Connections are limited in total and per client address, request heads in size and time, idle
 * connections in time, and egress optionally in rate. See docs/http.md.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #close()}. Thread-safe.
 */
public final class SnapshotHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotHttpServer.class);

  /** Bytes a shaped connection may have queued before its writes pause. */
  private static final long SHAPER_QUEUE_BYTES = 512 * 1024;

  private final HttpServerConfig config;
  private final HealthSource health;
  private final HttpMetrics metrics;
  private final ArchiveDirectory archives;
  private final Router router;

  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private final StatusSource status;
  private GlobalTrafficShapingHandler globalShaper;
  private ConnectionGate gate;
  private Channel server;
  private boolean closed;

  public SnapshotHttpServer(HttpServerConfig config, HealthSource health, HttpMetrics metrics) {
    this(config, health, StatusSource.NONE, metrics);
  }

  /** A server that also answers {@code GET /status} with the JSON its source gives. */
  public SnapshotHttpServer(
      HttpServerConfig config, HealthSource health, StatusSource status, HttpMetrics metrics) {
    this(config, health, status, StaticFiles.NONE, metrics);
  }

  /**
   * A server that also answers {@code GET /status} with the JSON its source gives, and serves
   * {@code page} at {@code /} and {@code /ui/…}: a page that shows that status.
   */
  public SnapshotHttpServer(
      HttpServerConfig config,
      HealthSource health,
      StatusSource status,
      StaticFiles page,
      HttpMetrics metrics) {
    this(config, health, status, page, List.of(), metrics);
  }

  /**
   * A server that also answers {@code GET /status}, serves {@code page}, and answers every GET
   * under each route's prefix with what its handler gives (before any path of its own).
   */
  public SnapshotHttpServer(
      HttpServerConfig config,
      HealthSource health,
      StatusSource status,
      StaticFiles page,
      List<HttpRoute> routes,
      HttpMetrics metrics) {
    this(config, health, status, page, routes, List.of(), metrics);
  }

  /**
   * A server that also answers {@code GET /status}, serves {@code page}, answers every GET under
   * each route's prefix with what its handler gives, and hands every request under each streaming
   * route's prefix, of any method and with its body, to that route (before anything else).
   */
  public SnapshotHttpServer(
      HttpServerConfig config,
      HealthSource health,
      StatusSource status,
      StaticFiles page,
      List<HttpRoute> routes,
      List<HttpStreamRoute> streamRoutes,
      HttpMetrics metrics) {
    Objects.requireNonNull(page, "page");
    Objects.requireNonNull(routes, "routes");
    Objects.requireNonNull(streamRoutes, "streamRoutes");
    this.config = Objects.requireNonNull(config, "config");
    this.health = Objects.requireNonNull(health, "health");
    this.status = Objects.requireNonNull(status, "status");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.archives = new ArchiveDirectory(config.archiveDir());
    this.router =
        new Router(
            archives,
            config.genesisFile(),
            health,
            status,
            metrics,
            new FileResponder(config.zeroCopy()),
            page,
            routes,
            streamRoutes);
  }

  /**
   * Binds and starts serving.
   *
   * @return the bound address (the real port when the config asked for port 0)
   * @throws FerryException {@link io.ferry.core.ErrorCode#IO_ERROR} naming the address and the
   *     reason when it cannot be bound (a port in use, say); the threads are released
   */
  public synchronized InetSocketAddress start() {
    if (server != null || closed) {
      throw new IllegalStateException("already started");
    }
    IoBackend backend = IoBackend.best();
    boss = backend.newGroup(1);
    workers = backend.newGroup(config.ioThreads());
    gate =
        new ConnectionGate(
            config.maxConnections(), config.maxConnectionsPerIp(), config.tls() == null, metrics);
    if (config.egressBytesPerSecond() > 0) {
      globalShaper =
          new GlobalTrafficShapingHandler(workers, config.egressBytesPerSecond(), 0, 100);
      globalShaper.setMaxGlobalWriteSize(64L * 1024 * 1024);
      globalShaper.setMaxWriteSize(SHAPER_QUEUE_BYTES);
    }
    HttpDecoderConfig decoder =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(config.maxInitialLineLength())
            .setMaxHeaderSize(config.maxHeaderSize())
            .setMaxChunkSize(8192);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(backend.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ChannelPipeline p = ch.pipeline();
                    p.addLast("gate", gate);
                    if (config.tls() != null) {
                      p.addLast("tls", config.tls().newHandler(ch.alloc()));
                    }
                    if (globalShaper != null) {
                      p.addLast("global-shaper", globalShaper);
                    }
                    if (config.egressBytesPerSecondPerConnection() > 0) {
                      ChannelTrafficShapingHandler shaper =
                          new ChannelTrafficShapingHandler(
                              config.egressBytesPerSecondPerConnection(), 0, 100);
                      shaper.setMaxWriteSize(SHAPER_QUEUE_BYTES);
                      p.addLast("shaper", shaper);
                    }
                    p.addLast(
                        "idle",
                        new IdleStateHandler(
                            true, 0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
                    p.addLast("http", new HttpServerCodec(decoder));
                    p.addLast("chunks", new ChunkedWriteHandler());
                    p.addLast(
                        "requests", new HttpConnection(router, metrics, config.headerTimeout()));
                  }
                });
    try {
      server = bootstrap.bind(config.bind()).sync().channel();
    } catch (Exception e) { // Netty rethrows a failed bind's checked IOException unchecked
      shutdown();
      throw IoErrors.cannotListen("HTTP", config.bind(), e);
    }
    InetSocketAddress bound = (InetSocketAddress) server.localAddress();
    log.info(
        "HTTP snapshot service listening on {} ({}, {}), serving {}",
        bound,
        backend.name(),
        config.zeroCopy() ? "sendfile" : "chunked",
        config.archiveDir());
    return bound;
  }

  /** The directory view this server serves from. */
  public ArchiveDirectory archives() {
    return archives;
  }

  public HttpMetrics metrics() {
    return metrics;
  }

  /** Stops listening, closes every connection and releases the threads. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (server != null) {
      server.close().syncUninterruptibly();
    }
    shutdown();
  }

  private void shutdown() {
    if (globalShaper != null) {
      globalShaper.release();
    }
    if (boss != null) {
      boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
    if (workers != null) {
      workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
