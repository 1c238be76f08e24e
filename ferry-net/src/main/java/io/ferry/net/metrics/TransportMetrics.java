package io.ferry.net.metrics;

import io.ferry.net.ProtocolId;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;

/**
 * The transport's Prometheus metrics: frames and bytes in and out per protocol, open connections by
 * direction, connection events, request latency per protocol, and failures by kind. One instance
 * per registry (Prometheus refuses a name registered twice); several transports in one process
 * (tests, the simulator) each get their own registry or share one instance.
 *
 * <p>Thread-safe.
 */
public final class TransportMetrics {
  private final PrometheusRegistry registry;
  private final Counter bytes;
  private final Counter frames;
  private final Gauge connections;
  private final Counter connectionEvents;
  private final Histogram requestSeconds;
  private final Counter failures;

  public TransportMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    bytes =
        Counter.builder()
            .name("ferry_net_bytes_total")
            .help("Envelope bytes sent (out) and received (in), per protocol")
            .labelNames("protocol", "direction")
            .register(registry);
    frames =
        Counter.builder()
            .name("ferry_net_frames_total")
            .help("Frames sent and received, per protocol and kind")
            .labelNames("protocol", "direction", "kind")
            .register(registry);
    connections =
        Gauge.builder()
            .name("ferry_net_connections")
            .help("Open authenticated connections, by who dialled")
            .labelNames("direction")
            .register(registry);
    connectionEvents =
        Counter.builder()
            .name("ferry_net_connection_events_total")
            .help("Connections opened, closed, refused (policy) and failed (handshake, dial)")
            .labelNames("event")
            .register(registry);
    requestSeconds =
        Histogram.builder()
            .name("ferry_net_request_seconds")
            .help("Time from sending a request to its answer, per protocol")
            .labelNames("protocol")
            .classicOnly()
            .classicExponentialUpperBounds(0.0001, 2, 18)
            .register(registry);
    failures =
        Counter.builder()
            .name("ferry_net_request_failures_total")
            .help("Requests that failed, by protocol and failure kind")
            .labelNames("protocol", "failure")
            .register(registry);
  }

  /** Metrics in a registry of their own. */
  public static TransportMetrics standalone() {
    return new TransportMetrics(new PrometheusRegistry());
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /**
   * The label for frames of protocols this node does not know. Peers choose the protocol number of
   * what they send, so only known protocols become label values, or the label set would grow with
   * every number a peer makes up.
   */
  public static final String UNKNOWN_PROTOCOL = "unknown";

  /**
   * A frame sent.
   *
   * @param protocol the protocol's label, or {@link #UNKNOWN_PROTOCOL}: never a number a peer chose
   */
  public void frameOut(String protocol, String kind, int size) {
    bytes.labelValues(protocol, "out").inc(size);
    frames.labelValues(protocol, "out", kind).inc();
  }

  /**
   * A frame received.
   *
   * @param protocol the protocol's label, or {@link #UNKNOWN_PROTOCOL}: never a number a peer chose
   */
  public void frameIn(String protocol, String kind, int size) {
    bytes.labelValues(protocol, "in").inc(size);
    frames.labelValues(protocol, "in", kind).inc();
  }

  public void connected(boolean outbound) {
    connections.labelValues(outbound ? "out" : "in").inc();
    connectionEvents.labelValues("opened").inc();
  }

  public void disconnected(boolean outbound) {
    connections.labelValues(outbound ? "out" : "in").dec();
    connectionEvents.labelValues("closed").inc();
  }

  /** A connection refused by peer policy (ban, limit, duplicate). */
  public void refused() {
    connectionEvents.labelValues("refused").inc();
  }

  /** A dial or handshake that failed. */
  public void connectFailed() {
    connectionEvents.labelValues("failed").inc();
  }

  public void requestDone(ProtocolId protocol, long nanos) {
    requestSeconds.labelValues(protocol.label()).observe(nanos / 1e9);
  }

  public void requestFailed(ProtocolId protocol, String failure) {
    failures.labelValues(protocol.label(), failure).inc();
  }

  /**
   * Envelope bytes received ({@code in}) or sent ({@code out}) so far over every protocol: the sum
   * of {@code ferry_net_bytes_total} for that direction, for a status page that shows throughput.
   */
  public long bytesTotal(String direction) {
    double sum = 0;
    for (CounterSnapshot.CounterDataPointSnapshot p : bytes.collect().getDataPoints()) {
      if (direction.equals(p.getLabels().get("direction"))) {
        sum += p.getValue();
      }
    }
    return (long) sum;
  }

  /** The current value of a counter or gauge sample, for tests and status pages. */
  public double value(String name, String... labelValues) {
    return switch (name) {
      case "bytes" -> bytes.labelValues(labelValues).get();
      case "frames" -> frames.labelValues(labelValues).get();
      case "connections" -> connections.labelValues(labelValues).get();
      case "connection_events" -> connectionEvents.labelValues(labelValues).get();
      case "failures" -> failures.labelValues(labelValues).get();
      default -> throw new IllegalArgumentException("unknown metric " + name);
    };
  }
}
