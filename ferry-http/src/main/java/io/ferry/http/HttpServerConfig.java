package io.ferry.http;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link SnapshotHttpServer}. Start from {@link #defaults(Path)} and change fields
 * with the {@code with…} methods. Immutable.
 *
 * @param bind address and port to listen on (port 0 picks a free one); default {@code 0.0.0.0:8899}
 * @param archiveDir the one directory whose archives are served
 * @param genesisFile served as {@code /genesis.tar.bz2}; null for none
 * @param maxConnections open connections in total; beyond it a new one gets 503 and is closed
 * @param maxConnectionsPerIp open connections from one client address; beyond it likewise
 * @param maxInitialLineLength longest request line in bytes; longer gets 414
 * @param maxHeaderSize largest header block in bytes; larger gets 431
 * @param headerTimeout time a connection has to deliver a complete request head, counted from the
 *     connection's start or the end of the previous response (so also the keep-alive timeout); then
 *     408 and close
 * @param idleTimeout a connection that reads nothing and whose writes make no progress for this
 *     long is closed (stalled downloads)
 * @param egressBytesPerSecond all responses together; 0 for no limit
 * @param egressBytesPerSecondPerConnection each connection; 0 for no limit
 * @param ioThreads event loop threads; 0 for Netty's default (twice the cores)
 * @param tls TLS for every connection; null for plain HTTP (then files go out with sendfile)
 */
public record HttpServerConfig(
    InetSocketAddress bind,
    Path archiveDir,
    Path genesisFile,
    int maxConnections,
    int maxConnectionsPerIp,
    int maxInitialLineLength,
    int maxHeaderSize,
    Duration headerTimeout,
    Duration idleTimeout,
    long egressBytesPerSecond,
    long egressBytesPerSecondPerConnection,
    int ioThreads,
    SslContext tls) {

  public static final int DEFAULT_PORT = 8899;

  public HttpServerConfig {
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(archiveDir, "archiveDir");
    Objects.requireNonNull(headerTimeout, "headerTimeout");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (maxConnections < 1 || maxConnectionsPerIp < 1) {
      throw new IllegalArgumentException("connection limits must be positive");
    }
    if (maxInitialLineLength < 64 || maxHeaderSize < 256) {
      throw new IllegalArgumentException("request line or header limit too small");
    }
    if (headerTimeout.isNegative()
        || headerTimeout.isZero()
        || idleTimeout.isNegative()
        || idleTimeout.isZero()) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
    if (egressBytesPerSecond < 0 || egressBytesPerSecondPerConnection < 0 || ioThreads < 0) {
      throw new IllegalArgumentException("rates and thread count must not be negative");
    }
  }

  /**
   * Defaults: port 8899 on all interfaces, no genesis, 1024 connections and 32 per client address,
   * 4 KiB request line, 8 KiB headers, 10 s header timeout, 60 s idle timeout, no egress limit,
   * Netty's thread count, no TLS.
   */
  public static HttpServerConfig defaults(Path archiveDir) {
    return new HttpServerConfig(
        new InetSocketAddress(DEFAULT_PORT),
        archiveDir,
        null,
        1024,
        32,
        4096,
        8192,
        Duration.ofSeconds(10),
        Duration.ofSeconds(60),
        0,
        0,
        0,
        null);
  }

  /** Files go out by sendfile: no TLS and no egress limit (both need the bytes in chunks). */
  boolean zeroCopy() {
    return tls == null && egressBytesPerSecond == 0 && egressBytesPerSecondPerConnection == 0;
  }

  public HttpServerConfig withBind(InetSocketAddress bind) {
    return new HttpServerConfig(
        bind,
        archiveDir,
        genesisFile,
        maxConnections,
        maxConnectionsPerIp,
        maxInitialLineLength,
        maxHeaderSize,
        headerTimeout,
        idleTimeout,
        egressBytesPerSecond,
        egressBytesPerSecondPerConnection,
        ioThreads,
        tls);
  }

  public HttpServerConfig withGenesisFile(Path genesisFile) {
    return new HttpServerConfig(
        bind,
        archiveDir,
        genesisFile,
        maxConnections,
        maxConnectionsPerIp,
        maxInitialLineLength,
        maxHeaderSize,
        headerTimeout,
        idleTimeout,
        egressBytesPerSecond,
        egressBytesPerSecondPerConnection,
        ioThreads,
        tls);
  }

  public HttpServerConfig withConnectionLimits(int maxConnections, int maxConnectionsPerIp) {
    return new HttpServerConfig(
        bind,
        archiveDir,
        genesisFile,
        maxConnections,
        maxConnectionsPerIp,
        maxInitialLineLength,
        maxHeaderSize,
        headerTimeout,
        idleTimeout,
        egressBytesPerSecond,
        egressBytesPerSecondPerConnection,
        ioThreads,
        tls);
  }

  public HttpServerConfig withRequestLimits(int maxInitialLineLength, int maxHeaderSize) {
    return new HttpServerConfig(
        bind,
        archiveDir,
        genesisFile,
        maxConnections,
        maxConnectionsPerIp,
        maxInitialLineLength,
        maxHeaderSize,
        headerTimeout,
        idleTimeout,
        egressBytesPerSecond,
        egressBytesPerSecondPerConnection,
        ioThreads,
        tls);
  }

  public HttpServerConfig withTimeouts(Duration headerTimeout, Duration idleTimeout) {
    return new HttpServerConfig(
        bind,
        archiveDir,
        genesisFile,
        maxConnections,
        maxConnectionsPerIp,
        maxInitialLineLength,
        maxHeaderSize,
        headerTimeout,
        idleTimeout,
        egressBytesPerSecond,
        egressBytesPerSecondPerConnection,
        ioThreads,
        tls);
  }

  public HttpServerConfig withEgressLimits(long total, long perConnection) {
    return new HttpServerConfig(
        bind,
        archiveDir,
        genesisFile,
        maxConnections,
        maxConnectionsPerIp,
        maxInitialLineLength,
        maxHeaderSize,
        headerTimeout,
        idleTimeout,
        total,
        perConnection,
        ioThreads,
        tls);
  }

  public HttpServerConfig withIoThreads(int ioThreads) {
    return new HttpServerConfig(
        bind,
        archiveDir,
        genesisFile,
        maxConnections,
        maxConnectionsPerIp,
        maxInitialLineLength,
        maxHeaderSize,
        headerTimeout,
        idleTimeout,
        egressBytesPerSecond,
        egressBytesPerSecondPerConnection,
        ioThreads,
        tls);
  }

  public HttpServerConfig withTls(SslContext tls) {
    return new HttpServerConfig(
        bind,
        archiveDir,
        genesisFile,
        maxConnections,
        maxConnectionsPerIp,
        maxInitialLineLength,
        maxHeaderSize,
        headerTimeout,
        idleTimeout,
        egressBytesPerSecond,
        egressBytesPerSecondPerConnection,
        ioThreads,
        tls);
  }
}
