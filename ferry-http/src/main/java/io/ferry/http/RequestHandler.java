package io.ferry.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Date;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the requests of one connection, one at a time and in order (pipelined requests wait in a
 * short queue; a client that queues more is disconnected).
 *
 * <p>Files are opened before their head is written, and the open channel is what gets streamed, so
 * a file that retention deletes mid-download is still sent to its end. Bodies leave as a {@link
 * DefaultFileRegion} (sendfile) or, under TLS or an egress limit, as 64 KiB chunks read into pooled
 * buffers: never whole into the heap.
 *
 * <p>One instance per connection; all methods run on the connection's event loop.
 */
final class RequestHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
  private static final int MAX_PIPELINED = 16;
  private static final int CHUNK = 64 * 1024;
  private static final PrometheusTextFormatWriter METRICS_WRITER =
      PrometheusTextFormatWriter.create();

  private final ArchiveDirectory archives;
  private final Path genesis;
  private final HealthSource health;
  private final StatusSource status;
  private final HttpMetrics metrics;
  private final boolean zeroCopy;
  private final Duration headerTimeout;

  private final ArrayDeque<HttpRequest> pending = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private boolean busy;

  /** A response said Connection: close; later requests are dropped. */
  private boolean closing;

  private ScheduledFuture<?> headerTimer;

  RequestHandler(
      ArchiveDirectory archives,
      Path genesis,
      HealthSource health,
      StatusSource status,
      HttpMetrics metrics,
      boolean zeroCopy,
      Duration headerTimeout) {
    this.archives = archives;
    this.genesis = genesis;
    this.health = health;
    this.status = status;
    this.metrics = metrics;
    this.zeroCopy = zeroCopy;
    this.headerTimeout = headerTimeout;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    armHeaderTimer();
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancelHeaderTimer();
    pending.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest request && !closing) {
        if (!busy) {
          handle(request);
        } else if (pending.size() < MAX_PIPELINED) {
          pending.add(request);
        } else {
          log.debug("closing {}: more than {} pipelined requests", ctx.channel(), MAX_PIPELINED);
          ctx.close();
        }
      }
      // Request bodies (HttpContent) are not used: GET and HEAD carry none worth reading.
    } finally {
      if (msg instanceof HttpContent) {
        ReferenceCountUtil.release(msg);
      }
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      log.debug("closing idle connection {}", ctx.channel());
      metrics.timeout("idle");
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      log.debug("connection {} failed: {}", ctx.channel(), cause.toString());
    } else {
      log.warn("connection {} failed", ctx.channel(), cause);
    }
    ctx.close();
  }

  private void armHeaderTimer() {
    cancelHeaderTimer();
    headerTimer =
        ctx.executor()
            .schedule(this::headerTimedOut, headerTimeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void cancelHeaderTimer() {
    if (headerTimer != null) {
      headerTimer.cancel(false);
      headerTimer = null;
    }
  }

  private void headerTimedOut() {
    headerTimer = null;
    if (busy || closing || !ctx.channel().isActive()) {
      return;
    }
    closing = true;
    log.debug("closing {}: no complete request head within {}", ctx.channel(), headerTimeout);
    metrics.timeout("header");
    FullHttpResponse response = text(HttpResponseStatus.REQUEST_TIMEOUT, "request timeout\n");
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    Lingering.closeAfter(ctx.writeAndFlush(response));
  }

  // ---- requests

  private void handle(HttpRequest request) {
    cancelHeaderTimer();
    busy = true;
    DecoderResult decoded = request.decoderResult();
    if (decoded.isFailure()) {
      HttpResponseStatus status =
          switch (decoded.cause()) {
            case TooLongHttpLineException e -> HttpResponseStatus.REQUEST_URI_TOO_LONG;
            case TooLongHttpHeaderException e -> HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            default -> HttpResponseStatus.BAD_REQUEST;
          };
      log.debug("bad request on {}: {}", ctx.channel(), decoded.cause().toString());
      send(request, "other", text(status, status.reasonPhrase() + "\n"), false);
      return;
    }
    // The decoder accepts any HTTP/MAJOR.MINOR; only 1.x is a request this server understands.
    if (request.protocolVersion().majorVersion() != 1) {
      log.debug("refusing {} from {}", request.protocolVersion(), ctx.channel().remoteAddress());
      HttpResponseStatus status = HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED;
      send(request, "other", text(status, status.reasonPhrase() + "\n"), false);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    HttpMethod method = request.method();
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      FullHttpResponse response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "GET or HEAD\n");
      response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      send(request, "other", response, keepAlive);
      return;
    }
    try {
      route(request, keepAlive);
    } catch (RuntimeException e) {
      log.warn("request {} {} failed", method, request.uri(), e);
      send(request, "other", text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "error\n"), false);
    }
  }

  private void route(HttpRequest request, boolean keepAlive) {
    String path = request.uri();
    int query = indexOfAny(path, '?', '#');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (!path.startsWith("/")) {
      // Absolute-form and asterisk-form targets: this is not a proxy.
      send(request, "other", text(HttpResponseStatus.BAD_REQUEST, "bad request\n"), false);
      return;
    }
    String name = path.substring(1);
    switch (name) {
      case "snapshot.tar.bz2", "snapshot.tar.zst" ->
          redirect(request, archives.newestFull(), keepAlive);
      case "incremental-snapshot.tar.bz2", "incremental-snapshot.tar.zst" ->
          redirect(request, archives.newestIncremental(), keepAlive);
      case "health" -> send(request, "health", text(HttpResponseStatus.OK, health()), keepAlive);
      case "metrics" -> metrics(request, keepAlive);
      case "status" -> status(request, keepAlive);
      case "genesis.tar.bz2" -> {
        if (genesis == null) {
          notFound(request, "genesis", keepAlive);
        } else {
          Path real;
          try {
            real = genesis.toRealPath(); // a configured path may be a link
          } catch (IOException e) {
            notFound(request, "genesis", keepAlive);
            return;
          }
          serveFile(request, "genesis", real, Optional.empty(), keepAlive);
        }
      }
      default -> {
        if (name.isEmpty()) {
          notFound(request, "other", keepAlive);
        } else if (!ArchiveDirectory.isPlainName(name)) {
          // Separators, escapes, dot segments, control bytes: never a file of ours.
          log.debug("refusing path {} from {}", request.uri(), ctx.channel().remoteAddress());
          send(request, "other", text(HttpResponseStatus.BAD_REQUEST, "bad path\n"), keepAlive);
        } else {
          Optional<ArchiveName> archive = ArchiveName.parse(name);
          Optional<Path> file = archive.flatMap(a -> archives.resolve(name));
          if (file.isEmpty()) {
            notFound(request, archive.isPresent() ? "archive" : "other", keepAlive);
          } else {
            serveFile(request, "archive", file.get(), Optional.of(archive.get().hash()), keepAlive);
          }
        }
      }
    }
  }

  private void status(HttpRequest request, boolean keepAlive) {
    if (status == StatusSource.NONE) {
      notFound(request, "other", keepAlive);
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
      response = text(HttpResponseStatus.SERVICE_UNAVAILABLE, "no status\n");
    } else {
      byte[] body = json.getBytes(StandardCharsets.UTF_8);
      response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    }
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    send(request, "status", response, keepAlive);
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

  private void redirect(HttpRequest request, Optional<ArchiveName> target, boolean keepAlive) {
    if (target.isEmpty()) {
      notFound(request, "redirect", keepAlive);
      return;
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SEE_OTHER);
    response.headers().set(HttpHeaderNames.LOCATION, "/" + target.get().fileName());
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
    send(request, "redirect", response, keepAlive);
  }

  private void metrics(HttpRequest request, boolean keepAlive) {
    ByteBuf body = ctx.alloc().buffer();
    try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
      METRICS_WRITER.write(out, metrics.registry().scrape());
    } catch (IOException | RuntimeException e) {
      body.release();
      log.warn("metrics scrape failed", e);
      send(request, "metrics", text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "error\n"), false);
      return;
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, METRICS_WRITER.getContentType());
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    send(request, "metrics", response, keepAlive);
  }

  private void notFound(HttpRequest request, String pathClass, boolean keepAlive) {
    send(request, pathClass, text(HttpResponseStatus.NOT_FOUND, "not found\n"), keepAlive);
  }

  /**
   * Serves a file with its validators and range handling. {@code contentHash}, for an archive, is
   * the snapshot hash from its name and makes the ETag with the size alone: archives carry no times
   * and compress deterministically, so every server holding that name holds the same bytes and must
   * give the same tag, or a multi-source download would refuse all but one of them. Other files
   * (genesis) are tagged by size and modification time.
   */
  private void serveFile(
      HttpRequest request,
      String pathClass,
      Path path,
      Optional<String> contentHash,
      boolean keepAlive) {
    FileChannel file;
    long size;
    long modified;
    try {
      file = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      log.debug("cannot open {}: {}", path, e.toString());
      notFound(request, pathClass, keepAlive);
      return;
    }
    try {
      BasicFileAttributes attrs =
          Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      size = file.size();
      modified = attrs.lastModifiedTime().toMillis() / 1000 * 1000;
    } catch (IOException e) {
      // Deleted between open and stat: the caller cannot have seen it either.
      closeQuietly(file);
      notFound(request, pathClass, keepAlive);
      return;
    }
    String etag =
        contentHash.isPresent()
            ? "\"" + contentHash.get() + "-" + Long.toHexString(size) + "\""
            : "\"genesis-" + Long.toHexString(size) + "-" + Long.toHexString(modified) + "\"";
    boolean head = request.method().equals(HttpMethod.HEAD);
    HttpHeaders in = request.headers();
    // Range is defined for GET only (RFC 9110 §14.2); HEAD describes the whole file.
    ByteRange.Request wanted =
        head ? ByteRange.WHOLE : ByteRange.parse(in.get(HttpHeaderNames.RANGE), size);
    String ifRange = in.get(HttpHeaderNames.IF_RANGE);
    if (!(wanted instanceof ByteRange.Whole)
        && ifRange != null
        && !ifRangeMatches(ifRange.strip(), etag, modified)) {
      wanted = ByteRange.WHOLE;
    }

    if (wanted instanceof ByteRange.Unsatisfiable) {
      closeQuietly(file);
      FullHttpResponse response =
          text(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "range not satisfiable\n");
      response.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
      response.headers().set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
      response.headers().set(HttpHeaderNames.ETAG, etag);
      send(request, pathClass, response, keepAlive);
      return;
    }
    long first = 0;
    long length = size;
    HttpResponseStatus status = HttpResponseStatus.OK;
    if (wanted instanceof ByteRange.Partial(ByteRange range)) {
      first = range.first();
      length = range.length();
      status = HttpResponseStatus.PARTIAL_CONTENT;
    }

    HttpResponse response =
        head
            ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status)
            : new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
    HttpHeaders out = response.headers();
    out.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
    out.set(HttpHeaderNames.CONTENT_LENGTH, length);
    out.set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
    out.set(HttpHeaderNames.ETAG, etag);
    out.set(HttpHeaderNames.LAST_MODIFIED, DateFormatter.format(new Date(modified)));
    if (wanted instanceof ByteRange.Partial(ByteRange range)) {
      out.set(HttpHeaderNames.CONTENT_RANGE, range.contentRange(size));
    }
    if (head) {
      closeQuietly(file);
      send(request, pathClass, response, keepAlive);
      return;
    }
    prepare(request, response, keepAlive);
    metrics.request(pathClass, status.code());
    ctx.write(response);
    ChannelFuture done;
    if (length == 0) {
      closeQuietly(file);
      done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    } else if (zeroCopy) {
      // DefaultFileRegion closes the channel when released: written, failed or discarded.
      ctx.write(new DefaultFileRegion(file, first, length));
      done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    } else {
      try {
        done =
            ctx.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(file, first, length, CHUNK)));
      } catch (IOException e) {
        closeQuietly(file);
        ctx.close();
        return;
      }
    }
    finish(done, keepAlive);
  }

  /**
   * RFC 9110 §13.1.5: an entity tag must match strongly (a weak tag never does); a date must equal
   * Last-Modified exactly.
   */
  static boolean ifRangeMatches(String value, String etag, long modifiedMillis) {
    if (value.startsWith("\"") || value.startsWith("W/")) {
      return value.equals(etag);
    }
    Date date = DateFormatter.parseHttpDate(value);
    return date != null && date.getTime() == modifiedMillis;
  }

  // ---- writing

  private static FullHttpResponse text(HttpResponseStatus status, String body) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(body, StandardCharsets.US_ASCII));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length());
    return response;
  }

  private void send(
      HttpRequest request, String pathClass, HttpResponse response, boolean keepAlive) {
    prepare(request, response, keepAlive);
    metrics.request(pathClass, response.status().code());
    ChannelFuture done = ctx.writeAndFlush(response);
    finish(done, keepAlive);
  }

  private static void prepare(HttpRequest request, HttpResponse response, boolean keepAlive) {
    HttpHeaders out = response.headers();
    out.set(HttpHeaderNames.DATE, DateFormatter.format(new Date()));
    out.set(HttpHeaderNames.SERVER, "ferry");
    if (!keepAlive) {
      out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
  }

  /** After the response's last write: close, or take the next request. */
  private void finish(ChannelFuture done, boolean keepAlive) {
    if (!keepAlive) {
      closing = true;
      Lingering.closeAfter(done);
    }
    done.addListener(
        f -> {
          if (!f.isSuccess()) {
            ctx.close();
            return;
          }
          if (!keepAlive) {
            pending.clear();
            return;
          }
          busy = false;
          HttpRequest next = pending.poll();
          if (next != null) {
            handle(next);
          } else {
            armHeaderTimer();
          }
        });
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

  private static void closeQuietly(FileChannel file) {
    try {
      file.close();
    } catch (IOException e) {
      // Nothing was written through it.
    }
  }
}
