package io.ferry.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Date;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's policy: it takes requests one at a time and in order (pipelined requests wait in
 * a short queue; a client that queues more is disconnected), refuses what is not an HTTP/1.x
 * request it can read (400, 414, 431, 505, then closes), gives the {@link Router} the rest, and
 * after each response keeps the connection open or closes it as the request asked. A request head
 * must arrive within the header timeout (408); an idle connection is closed.
 *
 * <p>One instance per connection; all methods run on the connection's event loop.
 */
final class HttpConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HttpConnection.class);
  private static final int MAX_PIPELINED = 16;

  private final Router router;
  private final HttpMetrics metrics;
  private final Duration headerTimeout;

  private final ArrayDeque<HttpRequest> pending = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private boolean busy;

  /** A response said Connection: close; later requests are dropped. */
  private boolean closing;

  private ScheduledFuture<?> headerTimer;

  /** The request a streaming route is answering, until its answer is written. */
  private StreamCall call;

  HttpConnection(Router router, HttpMetrics metrics, Duration headerTimeout) {
    this.router = router;
    this.metrics = metrics;
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
    if (call != null) {
      call.connectionClosed();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest request && !closing) {
        if (!busy) {
          handle(request);
        } else if (StreamCall.hasBody(request)) {
          // Its body would arrive before it is handled; clients do not pipeline uploads.
          log.debug("closing {}: a pipelined request with a body", ctx.channel());
          ctx.close();
        } else if (pending.size() < MAX_PIPELINED) {
          pending.add(request);
        } else {
          log.debug("closing {}: more than {} pipelined requests", ctx.channel(), MAX_PIPELINED);
          ctx.close();
        }
      } else if (msg instanceof HttpContent content && call != null && !call.bodyEnded()) {
        call.offer(content);
      }
      // Other request bodies are not used: GET and HEAD carry none worth reading.
    } finally {
      if (msg instanceof HttpContent) {
        ReferenceCountUtil.release(msg);
      }
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (call != null) {
      call.readComplete();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (call != null) {
      call.writabilityChanged();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (call != null && call.waitingOnServer()) {
        return; // the route waits for a source of its own (a download), not for the client
      }
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
    FullHttpResponse response =
        Responses.text(HttpResponseStatus.REQUEST_TIMEOUT, "request timeout\n");
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
      send(request, "other", Responses.text(status, status.reasonPhrase() + "\n"), false);
      return;
    }
    // The decoder accepts any HTTP/MAJOR.MINOR; only 1.x is a request this server understands.
    if (request.protocolVersion().majorVersion() != 1) {
      log.debug("refusing {} from {}", request.protocolVersion(), ctx.channel().remoteAddress());
      HttpResponseStatus status = HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED;
      send(request, "other", Responses.text(status, status.reasonPhrase() + "\n"), false);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    try {
      router.route(new Answer(request, keepAlive));
    } catch (RuntimeException e) {
      log.warn("request {} {} failed", request.method(), request.uri(), e);
      send(
          request,
          "other",
          Responses.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "error\n"),
          false);
    }
  }

  /** The {@link Exchange} of one request on this connection. */
  private final class Answer implements Exchange {
    private final HttpRequest request;
    private final boolean keepAlive;

    Answer(HttpRequest request, boolean keepAlive) {
      this.request = request;
      this.keepAlive = keepAlive;
    }

    @Override
    public HttpRequest request() {
      return request;
    }

    @Override
    public ChannelHandlerContext ctx() {
      return ctx;
    }

    @Override
    public void respond(String pathClass, HttpResponse response) {
      send(request, pathClass, response, keepAlive);
    }

    @Override
    public void respondAndClose(String pathClass, HttpResponse response) {
      send(request, pathClass, response, false);
    }

    @Override
    public void handOver(HttpStreamRoute route, String rest) {
      StreamCall c =
          new StreamCall(ctx, request, route.pathClass(), rest, keepAlive, new CallLink());
      call = c;
      if (!c.bodyEnded()) {
        // The body is read as the handler consumes it, not as fast as the client sends it.
        ctx.channel().config().setAutoRead(false);
      }
      try {
        route.handler().handle(c);
      } catch (RuntimeException e) {
        log.warn("route {} failed on {} {}", route.prefix(), request.method(), request.uri(), e);
        c.respond(
            500,
            "text/plain; charset=utf-8",
            "error\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            java.util.Map.of());
      }
    }

    @Override
    public void stream(String pathClass, HttpResponse head, Body body) {
      prepare(request, head, keepAlive);
      metrics.request(pathClass, head.status().code());
      ctx.write(head);
      ChannelFuture done;
      try {
        done = body.write(ctx);
      } catch (IOException e) {
        ctx.close();
        return;
      }
      finish(done, keepAlive);
    }
  }

  /** How a streaming route's call answers on this connection. */
  private final class CallLink implements StreamCall.Link {
    @Override
    public void send(String pathClass, HttpResponse response, boolean keepAlive) {
      HttpConnection.this.send(call.request(), pathClass, response, keepAlive);
    }

    @Override
    public void head(String pathClass, HttpResponse head, boolean keepAlive) {
      prepare(call.request(), head, keepAlive);
      metrics.request(pathClass, head.status().code());
      ctx.write(head);
    }

    @Override
    public void finish(ChannelFuture last, boolean keepAlive) {
      HttpConnection.this.finish(last, keepAlive);
    }
  }

  // ---- writing

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
          if (call != null) {
            call = null;
            ctx.channel().config().setAutoRead(true);
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
}
