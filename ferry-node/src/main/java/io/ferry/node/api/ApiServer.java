package io.ferry.node.api;

import io.ferry.core.IoErrors;
import io.ferry.net.tcp.IoBackend;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write API's HTTP/1.1 server (docs/api.md): {@code POST /v1/commit} on a listener of its own,
 * separate from the node's public HTTP port. Netty reads the requests and checks each head (path,
 * method, token, role, content type, announced length) before any body is read ({@link
 * ApiConnection}); a few worker threads of its own parse the bodies and commit, so a slow fsync
 * never holds up an I/O thread. Commits are serialised by the target; a request finding too many
 * waiting is answered 503.
 *
 * <p>Lifecycle: {@link #start} once, then {@link #close}, which answers 503 to what arrives
 * meanwhile and lets the commits already taken finish. Thread-safe.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

  /** Workers that parse and commit: one commits while the other parses the next request. */
  static final int WORKERS = 2;

  /** Requests waiting for a worker; past it, 503. */
  static final int QUEUE = 1024;

  /** A connection that neither reads nor writes for this long is closed. */
  static final Duration IDLE = Duration.ofSeconds(60);

  /** How long closing waits for the commits already taken. */
  private static final Duration DRAIN = Duration.ofSeconds(10);

  private static final int REQUEST_LINE_BYTES = 4096;
  private static final int HEADER_BYTES = 8192;

  private final InetSocketAddress bind;
  private final Optional<BearerToken> token;
  private final CommitTarget target;
  private final Commits commits;
  private volatile boolean stopping;
  private EventLoopGroup boss;
  private EventLoopGroup io;
  private ExecutorService workers;
  private Channel server;
  private boolean closed;

  /**
   * @param bind where to listen (port 0 picks a free one)
   * @param token the token every request must carry; empty for none (loopback only, which the
   *     node's config enforces)
   */
  public ApiServer(InetSocketAddress bind, Optional<BearerToken> token, CommitTarget target) {
    this.bind = Objects.requireNonNull(bind, "bind");
    this.token = Objects.requireNonNull(token, "token");
    this.target = Objects.requireNonNull(target, "target");
    this.commits = new Commits(target);
  }

  /**
   * Binds and starts serving.
   *
   * @return the bound address
   * @throws io.ferry.core.FerryException {@code IO_ERROR} naming the address and the reason when it
   *     cannot be bound; the threads are released
   */
  public synchronized InetSocketAddress start() {
    if (server != null || closed) {
      throw new IllegalStateException("already started");
    }
    IoBackend backend = IoBackend.best();
    boss = backend.newGroup(1);
    io = backend.newGroup(Math.min(2, Runtime.getRuntime().availableProcessors()));
    AtomicInteger n = new AtomicInteger();
    workers =
        new ThreadPoolExecutor(
            WORKERS,
            WORKERS,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, "ferry-api-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    HttpDecoderConfig decoder =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(REQUEST_LINE_BYTES)
            .setMaxHeaderSize(HEADER_BYTES)
            .setMaxChunkSize(64 * 1024);
    ServerBootstrap b =
        new ServerBootstrap()
            .group(boss, io)
            .channel(backend.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 256)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(
                            "idle",
                            new IdleStateHandler(0, 0, IDLE.toMillis(), TimeUnit.MILLISECONDS))
                        .addLast("http", new HttpServerCodec(decoder))
                        .addLast("api", new ApiConnection(ApiServer.this));
                  }
                });
    try {
      server = b.bind(bind).sync().channel();
    } catch (Exception e) { // Netty rethrows a failed bind's checked IOException unchecked
      shutdown();
      throw IoErrors.cannotListen("the write API", bind, e);
    }
    InetSocketAddress bound = (InetSocketAddress) server.localAddress();
    log.info(
        "write API listening on {} ({}), {}",
        bound,
        backend.name(),
        token.isPresent() ? "bearer token required" : "no token (loopback)");
    return bound;
  }

  Optional<BearerToken> token() {
    return token;
  }

  CommitTarget target() {
    return target;
  }

  Commits commits() {
    return commits;
  }

  boolean stopping() {
    return stopping;
  }

  /** Runs {@code task} on a worker; false when none can take it (too many waiting, stopping). */
  boolean submit(Runnable task) {
    if (stopping) {
      return false;
    }
    try {
      workers.execute(task);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return false;
    }
  }

  /**
   * Stops taking requests (what arrives now gets 503), waits for the commits already taken, then
   * closes every connection and releases the threads. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopping = true;
    if (server != null) {
      server.close().syncUninterruptibly();
    }
    shutdown();
  }

  private void shutdown() {
    if (workers != null) {
      workers.shutdown();
      try {
        if (!workers.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn("write API: commits still running after {}; stopping anyway", DRAIN);
          workers.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        workers.shutdownNow();
      }
    }
    if (boss != null) {
      boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
    if (io != null) {
      io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
