package io.ferry.http;

import io.ferry.core.archive.ArchiveName;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server answers at each path: the application's {@link HttpStreamRoute}s first, for any
 * method; then, for GET and HEAD (other methods get 405): the status page at {@code /} and {@code
 * /ui/…} (from {@link StaticFiles}), the redirects to the newest archives, {@code /health}, {@code
 * /metrics}, {@code /status}, the genesis file and archive files (handed to the {@link
 * FileResponder}), and the application's {@link HttpRoute}s under their prefixes; 404 for anything
 * else, and 400 for a path that is not one plain segment. Each response is counted under a path
 * class.
 *
 * <p>Thread-safe: one instance serves every connection.
 */
final class Router {
  private static final Logger log = LoggerFactory.getLogger(Router.class);
  private static final PrometheusTextFormatWriter METRICS_WRITER =
      PrometheusTextFormatWriter.create();

  private final ArchiveDirectory archives;
  private final Path genesis;
  private final HealthSource health;
  private final StatusSource status;
  private final HttpMetrics metrics;
  private final FileResponder files;
  private final StaticFiles page;
  private final List<HttpRoute> routes;
  private final List<HttpStreamRoute> streamRoutes;

  /**
   * @param genesis the file served at {@code /genesis.tar.bz2}, or null for none
   * @param page the status page, or {@link StaticFiles#NONE}
   * @param routes the application's routes, tried in order before the archive paths
   * @param streamRoutes the application's streaming routes, tried in order before anything else
   */
  Router(
      ArchiveDirectory archives,
      Path genesis,
      HealthSource health,
      StatusSource status,
      HttpMetrics metrics,
      FileResponder files,
      StaticFiles page,
      List<HttpRoute> routes,
      List<HttpStreamRoute> streamRoutes) {
    this.archives = archives;
    this.genesis = genesis;
    this.health = health;
    this.status = status;
    this.metrics = metrics;
    this.files = files;
    this.page = page;
    this.routes = List.copyOf(routes);
    this.streamRoutes = List.copyOf(streamRoutes);
  }

  /** Answers the exchange's request. */
  void route(Exchange ex) {
    HttpRequest request = ex.request();
    HttpMethod method = request.method();
    if (!streamRoutes.isEmpty() && request.uri().startsWith("/")) {
      String target = request.uri();
      int q = indexOfAny(target, '?', '#');
      String p = q >= 0 ? target.substring(0, q) : target;
      for (HttpStreamRoute route : streamRoutes) {
        Optional<String> rest = route.match(p);
        if (rest.isPresent()) {
          ex.handOver(route, rest.get()); // any method: the route says which it takes
          return;
        }
      }
    }
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      FullHttpResponse response =
          Responses.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "GET or HEAD\n");
      response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      ex.respond("other", response);
      return;
    }
    String path = request.uri();
    int query = indexOfAny(path, '?', '#');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (!path.startsWith("/")) {
      // Absolute-form and asterisk-form targets: this is not a proxy.
      ex.respondAndClose("other", Responses.text(HttpResponseStatus.BAD_REQUEST, "bad request\n"));
      return;
    }
    for (HttpRoute route : routes) {
      if (path.startsWith(route.prefix())) {
        answer(ex, route, path.substring(route.prefix().length()));
        return;
      }
    }
    if (page != StaticFiles.NONE && StaticFiles.claims(path)) {
      // A fixed set of names looked up as given: nothing is decoded or resolved on a file system.
      ex.respond("page", page.respond(request, path));
      return;
    }
    String name = path.substring(1);
    switch (name) {
      case "snapshot.tar.bz2", "snapshot.tar.zst" -> redirect(ex, archives.newestFull());
      case "incremental-snapshot.tar.bz2", "incremental-snapshot.tar.zst" ->
          redirect(ex, archives.newestIncremental());
      case "health" -> ex.respond("health", Responses.text(HttpResponseStatus.OK, health()));
      case "metrics" -> metrics(ex);
      case "status" -> status(ex);
      case "genesis.tar.bz2" -> genesis(ex);
      default -> {
        if (name.isEmpty()) {
          ex.respond("other", Responses.notFound());
        } else if (!ArchiveDirectory.isPlainName(name)) {
          // Separators, escapes, dot segments, control bytes: never a file of ours.
          log.debug("refusing path {} from {}", request.uri(), ex.ctx().channel().remoteAddress());
          ex.respond("other", Responses.text(HttpResponseStatus.BAD_REQUEST, "bad path\n"));
        } else {
          Optional<ArchiveName> archive = ArchiveName.parse(name);
          Optional<Path> file = archive.flatMap(a -> archives.resolve(name));
          if (file.isEmpty()) {
            ex.respond(archive.isPresent() ? "archive" : "other", Responses.notFound());
          } else {
            files.serve(ex, "archive", file.get(), Optional.of(archive.get().hash().toBase58()));
          }
        }
      }
    }
  }

  private void answer(Exchange ex, HttpRoute route, String rest) {
    HttpRoute.Answer a;
    try {
      a = route.handler().answer(rest);
    } catch (RuntimeException e) {
      log.warn("route {} failed on {}", route.prefix(), rest, e);
      ex.respond(
          route.pathClass(), Responses.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "error\n"));
      return;
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(a.status()),
            Unpooled.wrappedBuffer(a.body()));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType());
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, a.body().length);
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    if (a.retryAfterSeconds() > 0) {
      response.headers().setInt(HttpHeaderNames.RETRY_AFTER, a.retryAfterSeconds());
    }
    ex.respond(route.pathClass(), response);
  }

  private void genesis(Exchange ex) {
    if (genesis == null) {
      ex.respond("genesis", Responses.notFound());
      return;
    }
    Path real;
    try {
      real = genesis.toRealPath(); // a configured path may be a link
    } catch (IOException e) {
      ex.respond("genesis", Responses.notFound());
      return;
    }
    files.serve(ex, "genesis", real, Optional.empty());
  }

  private void status(Exchange ex) {
    if (status == StatusSource.NONE) {
      ex.respond("other", Responses.notFound());
      return;
    }
    String json;
    try {
      json = status.get();
    } catch (RuntimeException e) {
      log.warn("status source failed", e);
      json = null;
    }
    FullHttpResponse response;
    if (json == null) {
      response = Responses.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "no status\n");
    } else {
      byte[] body = json.getBytes(StandardCharsets.UTF_8);
      response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    }
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    ex.respond("status", response);
  }

  private String health() {
    try {
      Health h = health.get();
      return h == null ? Health.UNKNOWN.text() : h.text();
    } catch (RuntimeException e) {
      log.warn("health source failed", e);
      return Health.UNKNOWN.text();
    }
  }

  private void redirect(Exchange ex, Optional<ArchiveName> target) {
    if (target.isEmpty()) {
      ex.respond("redirect", Responses.notFound());
      return;
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SEE_OTHER);
    response.headers().set(HttpHeaderNames.LOCATION, "/" + target.get().fileName());
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
    ex.respond("redirect", response);
  }

  private void metrics(Exchange ex) {
    ByteBuf body = ex.ctx().alloc().buffer();
    try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
      METRICS_WRITER.write(out, metrics.registry().scrape());
    } catch (IOException | RuntimeException e) {
      body.release();
      log.warn("metrics scrape failed", e);
      ex.respondAndClose(
          "metrics", Responses.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "error\n"));
      return;
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, METRICS_WRITER.getContentType());
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    ex.respond("metrics", response);
  }

  private static int indexOfAny(String s, char a, char b) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == a || c == b) {
        return i;
      }
    }
    return -1;
  }
}
