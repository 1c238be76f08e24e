package io.ferry.http;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The HTTP service's Prometheus metrics, registered in a registry that {@code /metrics} then serves
 * whole (so a node passes the registry that also holds its transport's metrics). One instance per
 * registry, as Prometheus refuses a name registered twice.
 *
 * <p>Thread-safe.
 */
public final class HttpMetrics {
  private final PrometheusRegistry registry;
  private final Counter requests;
  private final Counter bytesSent;
  private final Gauge connections;
  private final Counter refused;
  private final Counter timeouts;

  public HttpMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    requests =
        Counter.builder()
            .name("ferry_http_requests_total")
            .help(
                "Requests answered, by path class (redirect, archive, genesis, health, metrics,"
                    + " status, page, other) and status code")
            .labelNames("path", "status")
            .register(registry);
    bytesSent =
        Counter.builder()
            .name("ferry_http_bytes_sent_total")
            .help("Bytes of responses (heads and bodies) written completely to the socket")
            .register(registry);
    connections =
        Gauge.builder()
            .name("ferry_http_connections")
            .help("Open HTTP connections, not counting refused ones")
            .register(registry);
    refused =
        Counter.builder()
            .name("ferry_http_connections_refused_total")
            .help("Connections refused by a limit: total or per_ip")
            .labelNames("limit")
            .register(registry);
    timeouts =
        Counter.builder()
            .name("ferry_http_timeouts_total")
            .help("Connections closed by a timeout: header (request head too slow) or idle")
            .labelNames("kind")
            .register(registry);
  }

  /** Metrics in a registry of their own. */
  public static HttpMetrics standalone() {
    return new HttpMetrics(new PrometheusRegistry());
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  void request(String pathClass, int status) {
    requests.labelValues(pathClass, Integer.toString(status)).inc();
  }

  void bytesSent(long n) {
    bytesSent.inc(n);
  }

  void connectionOpened() {
    connections.inc();
  }

  void connectionClosed() {
    connections.dec();
  }

  void refused(String limit) {
    refused.labelValues(limit).inc();
  }

  void timeout(String kind) {
    timeouts.labelValues(kind).inc();
  }

  /** Open connections now. */
  public double openConnections() {
    return connections.get();
  }

  /** Requests answered so far for a path class and status. */
  public double requests(String pathClass, int status) {
    return requests.labelValues(pathClass, Integer.toString(status)).get();
  }

  /** Connections refused so far by a limit ({@code total} or {@code per_ip}). */
  public double refusedCount(String limit) {
    return refused.labelValues(limit).get();
  }

  /** Connections closed so far by a timeout ({@code header} or {@code idle}). */
  public double timeoutCount(String kind) {
    return timeouts.labelValues(kind).get();
  }

  public double bytesSent() {
    return bytesSent.get();
  }
}
