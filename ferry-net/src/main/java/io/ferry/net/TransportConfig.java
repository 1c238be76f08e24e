package io.ferry.net;

import io.ferry.core.Limits;
import java.time.Duration;

/**
 * Limits and timeouts of a transport. The defaults suit a node on the internet; tests shorten the
 * timeouts.
 *
 * @param maxRequestsInFlight requests one peer may have open at once, in each direction; beyond it
 *     our requests fail with OVERLOADED and the peer's are refused
 * @param maxOutboundBufferBytes bytes queued towards one peer and not yet taken by its socket;
 *     beyond it sends fail with OVERLOADED (at least one maximal frame)
 * @param maxFrameBytes the largest frame sent or accepted; a peer announcing a larger one is
 *     disconnected before its bytes are buffered
 * @param connectTimeout dialling plus handshake
 * @param idleTimeout a connection with nothing received for this long is closed
 * @param keepaliveInterval a connection with nothing sent for this long gets a ping
 * @param maxPartialFrameBytes bytes of received frames that have started and not yet finished, over
 *     all connections together; a frame whose header would take the total past it closes its
 *     connection before its bytes are buffered (at least one maximal frame)
 * @param frameTimeout a frame that has started must finish within this, however its bytes trickle
 *     in; otherwise its connection is closed and its buffer freed
 * @param inboundHandshakeTimeout a connection a peer opened must finish its TLS handshake within
 *     this (and within connectTimeout): a silent one holds a handshake slot no longer
 * @param egressBytesPerSecond bytes per second sent on each connection, TLS included, at most
 *     (CometBFT's send_rate); 0 for no cap. Frames over it wait in the outbound buffer, so a capped
 *     sender hits OVERLOADED sooner
 */
public record TransportConfig(
    int maxRequestsInFlight,
    long maxOutboundBufferBytes,
    int maxFrameBytes,
    Duration connectTimeout,
    Duration idleTimeout,
    Duration keepaliveInterval,
    long maxPartialFrameBytes,
    Duration frameTimeout,
    Duration inboundHandshakeTimeout,
    long egressBytesPerSecond) {

  /** Default of {@link #maxPartialFrameBytes}: room for 7 maximal frames arriving at once. */
  public static final long DEFAULT_MAX_PARTIAL_FRAME_BYTES = 128L << 20;

  /** Default of {@link #frameTimeout}: a maximal frame at about 560 KB/s. */
  public static final Duration DEFAULT_FRAME_TIMEOUT = Duration.ofSeconds(30);

  /** Default of {@link #inboundHandshakeTimeout}: half the dialler's connect timeout. */
  public static final Duration DEFAULT_INBOUND_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);

  public static final TransportConfig DEFAULT =
      new TransportConfig(
          1024,
          64L << 20,
          Limits.MAX_FRAME_BYTES,
          Duration.ofSeconds(10),
          Duration.ofSeconds(45),
          Duration.ofSeconds(15),
          DEFAULT_MAX_PARTIAL_FRAME_BYTES,
          DEFAULT_FRAME_TIMEOUT,
          DEFAULT_INBOUND_HANDSHAKE_TIMEOUT,
          0);

  public TransportConfig {
    if (maxRequestsInFlight < 1) {
      throw new IllegalArgumentException("maxRequestsInFlight must be at least 1");
    }
    if (maxFrameBytes < 64 || maxFrameBytes > Limits.MAX_FRAME_BYTES) {
      throw new IllegalArgumentException(
          "maxFrameBytes must be in 64.." + Limits.MAX_FRAME_BYTES + ": " + maxFrameBytes);
    }
    if (maxOutboundBufferBytes < maxFrameBytes) {
      throw new IllegalArgumentException("maxOutboundBufferBytes must hold at least one frame");
    }
    if (keepaliveInterval.compareTo(idleTimeout) >= 0) {
      throw new IllegalArgumentException("keepaliveInterval must be shorter than idleTimeout");
    }
    if (maxPartialFrameBytes < maxFrameBytes) {
      throw new IllegalArgumentException("maxPartialFrameBytes must hold at least one frame");
    }
    if (frameTimeout.isNegative() || frameTimeout.isZero()) {
      throw new IllegalArgumentException("frameTimeout must be positive");
    }
    if (inboundHandshakeTimeout.isNegative() || inboundHandshakeTimeout.isZero()) {
      throw new IllegalArgumentException("inboundHandshakeTimeout must be positive");
    }
    if (egressBytesPerSecond < 0) {
      throw new IllegalArgumentException("egressBytesPerSecond must not be negative");
    }
  }

  public TransportConfig withMaxRequestsInFlight(int n) {
    return new TransportConfig(
        n,
        maxOutboundBufferBytes,
        maxFrameBytes,
        connectTimeout,
        idleTimeout,
        keepaliveInterval,
        maxPartialFrameBytes,
        frameTimeout,
        inboundHandshakeTimeout,
        egressBytesPerSecond);
  }

  public TransportConfig withMaxOutboundBufferBytes(long n) {
    return new TransportConfig(
        maxRequestsInFlight,
        n,
        maxFrameBytes,
        connectTimeout,
        idleTimeout,
        keepaliveInterval,
        maxPartialFrameBytes,
        frameTimeout,
        inboundHandshakeTimeout,
        egressBytesPerSecond);
  }

  public TransportConfig withMaxFrameBytes(int n) {
    return new TransportConfig(
        maxRequestsInFlight,
        Math.max(maxOutboundBufferBytes, n),
        n,
        connectTimeout,
        idleTimeout,
        keepaliveInterval,
        Math.max(maxPartialFrameBytes, n),
        frameTimeout,
        inboundHandshakeTimeout,
        egressBytesPerSecond);
  }

  public TransportConfig withTimeouts(Duration connect, Duration idle, Duration keepalive) {
    return new TransportConfig(
        maxRequestsInFlight,
        maxOutboundBufferBytes,
        maxFrameBytes,
        connect,
        idle,
        keepalive,
        maxPartialFrameBytes,
        frameTimeout,
        inboundHandshakeTimeout,
        egressBytesPerSecond);
  }

  /** The budget for partly received frames, and the time a started frame has to finish. */
  public TransportConfig withPartialFrames(long maxBytes, Duration timeout) {
    return new TransportConfig(
        maxRequestsInFlight,
        maxOutboundBufferBytes,
        maxFrameBytes,
        connectTimeout,
        idleTimeout,
        keepaliveInterval,
        maxBytes,
        timeout,
        inboundHandshakeTimeout,
        egressBytesPerSecond);
  }

  /** How long a connection a peer opened has for its TLS handshake. */
  public TransportConfig withInboundHandshakeTimeout(Duration timeout) {
    return new TransportConfig(
        maxRequestsInFlight,
        maxOutboundBufferBytes,
        maxFrameBytes,
        connectTimeout,
        idleTimeout,
        keepaliveInterval,
        maxPartialFrameBytes,
        frameTimeout,
        timeout,
        egressBytesPerSecond);
  }

  /** Caps what each connection sends per second (0: no cap). */
  public TransportConfig withEgressBytesPerSecond(long bytesPerSecond) {
    return new TransportConfig(
        maxRequestsInFlight,
        maxOutboundBufferBytes,
        maxFrameBytes,
        connectTimeout,
        idleTimeout,
        keepaliveInterval,
        maxPartialFrameBytes,
        frameTimeout,
        inboundHandshakeTimeout,
        bytesPerSecond);
  }
}
