package io.ferry.node.api;

import io.ferry.core.Limits;
import io.ferry.http.Lingering;
import io.ferry.node.api.ApiError.Code;
import io.ferry.node.api.Commits.Answer;
import io.ferry.node.api.Commits.Format;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection of the write API. Each request head is checked before its body is read, in this
 * order: token (401), path (404), method (405), stopping (503), role (409 with the producer's id),
 * content type (415), announced length (413); a refused request is answered at once and the
 * connection closed, its body unread. An accepted body is gathered up to {@link
 * Limits#MAX_API_BODY_BYTES} (a chunked one that grows past it gets 413), then parsed and committed
 * on a worker; the connection reads nothing more until the answer is written, so requests are
 * answered one at a time and in order. {@code Expect: 100-continue} is answered once the head
 * passes.
 *
 * <p>One instance per connection; every method runs on the connection's event loop.
 */
final class ApiConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ApiConnection.class);
  static final String PATH = "/v1/commit";

  private final ApiServer server;
  private final ArrayDeque<Object> held = new ArrayDeque<>();
  private ChannelHandlerContext ctx;

  /** The request whose body is being gathered; null between requests. */
  private HttpRequest request;

  private CompositeByteBuf body;
  private Format in;
  private Format out;

  /** A worker has the current request; what arrives meanwhile is held. */
  private boolean busy;

  /** An answer with Connection: close went out; the rest of the input is dropped. */
  private boolean closing;

  ApiConnection(ApiServer server) {
    this.server = server;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseBody();
    held.forEach(ReferenceCountUtil::release);
    held.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (busy) {
      held.add(msg); // pipelined: taken once the current answer is written (reading is paused)
      return;
    }
    try {
      handle(msg);
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      log.debug("API connection {} failed: {}", ctx.channel(), cause.toString());
    } else {
      log.warn("API connection {} failed", ctx.channel(), cause);
    }
    ctx.close();
  }

  private void handle(Object msg) {
    if (closing) {
      return;
    }
    if (msg instanceof HttpRequest r) {
      begin(r);
    }
    if (msg instanceof HttpContent c && request != null) {
      gather(c);
    }
  }

  private void begin(HttpRequest r) {
    if (r.decoderResult().isFailure()) {
      refuse(
          r,
          new ApiError(
              Code.BAD_REQUEST, "not a readable HTTP/1.1 request: " + r.decoderResult().cause()));
      return;
    }
    ApiError e = check(r);
    if (e != null) {
      refuse(r, e);
      return;
    }
    request = r;
    body = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
    if (HttpUtil.is100ContinueExpected(r)) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
    }
  }

  /** The first reason to refuse {@code r} by its head alone, or null. */
  private ApiError check(HttpRequest r) {
    if (server.token().isPresent()
        && !server.token().get().accepts(r.headers().get(HttpHeaderNames.AUTHORIZATION))) {
      return new ApiError(
          Code.UNAUTHORIZED, "this API needs the header 'Authorization: Bearer <token>'");
    }
    String path = r.uri();
    int q = path.indexOf('?');
    if (q >= 0) {
      path = path.substring(0, q);
    }
    if (!path.equals(PATH)) {
      return new ApiError(Code.NOT_FOUND, "no such path: the API is POST " + PATH);
    }
    if (!r.method().equals(HttpMethod.POST)) {
      return new ApiError(Code.METHOD_NOT_ALLOWED, PATH + " takes POST, not " + r.method());
    }
    if (server.stopping()) {
      return new ApiError(Code.UNAVAILABLE, "the node is stopping");
    }
    if (!server.target().produces()) {
      return Commits.notProducer(server.target());
    }
    in = format(r.headers().get(HttpHeaderNames.CONTENT_TYPE));
    if (in == null) {
      return new ApiError(
          Code.UNSUPPORTED_MEDIA_TYPE,
          "Content-Type must be application/json or application/x-protobuf, not "
              + r.headers().get(HttpHeaderNames.CONTENT_TYPE));
    }
    out = answerFormat(in, r.headers().get(HttpHeaderNames.ACCEPT));
    long length = HttpUtil.getContentLength(r, -1L);
    if (length > Limits.MAX_API_BODY_BYTES) {
      return tooLarge(length);
    }
    return null;
  }

  /** The body's format by its Content-Type (parameters aside); JSON when none is given. */
  static Format format(String contentType) {
    if (contentType == null) {
      return Format.JSON;
    }
    int semi = contentType.indexOf(';');
    String type =
        (semi >= 0 ? contentType.substring(0, semi) : contentType).strip().toLowerCase(Locale.ROOT);
    return switch (type) {
      case "application/json" -> Format.JSON;
      case "application/x-protobuf", "application/protobuf" -> Format.PROTOBUF;
      default -> null;
    };
  }

  /** Protobuf when Accept asks for it, JSON when it asks for that, else the request's format. */
  static Format answerFormat(Format in, String accept) {
    if (accept != null) {
      String a = accept.toLowerCase(Locale.ROOT);
      if (a.contains("application/x-protobuf") || a.contains("application/protobuf")) {
        return Format.PROTOBUF;
      }
      if (a.contains("application/json")) {
        return Format.JSON;
      }
    }
    return in;
  }

  private static ApiError tooLarge(long length) {
    return new ApiError(
        Code.TOO_LARGE,
        "a body of "
            + length
            + " bytes is over the limit of "
            + Limits.MAX_API_BODY_BYTES
            + " (and a commit's of "
            + Limits.MAX_COMMIT_BYTES
            + " bytes of keys and values)");
  }

  private void gather(HttpContent c) {
    int size = c.content().readableBytes();
    long total = (long) body.readableBytes() + size;
    if (total > Limits.MAX_API_BODY_BYTES) {
      HttpRequest r = request;
      releaseBody();
      refuse(r, tooLarge(total));
      return;
    }
    if (size > 0) {
      body.addComponent(true, c.content().retain());
    }
    if (c instanceof LastHttpContent) {
      dispatch();
    }
  }

  private void dispatch() {
    HttpRequest r = request;
    byte[] bytes = ByteBufUtil.getBytes(body);
    releaseBody();
    Format from = in;
    Format to = out;
    busy = true;
    ctx.channel().config().setAutoRead(false);
    boolean taken =
        server.submit(
            () -> {
              Answer a = server.commits().commit(bytes, from, to);
              ctx.executor().execute(() -> answer(r, a));
            });
    if (!taken) {
      answer(
          r,
          Answer.of(
              new ApiError(
                  Code.UNAVAILABLE,
                  server.stopping()
                      ? "the node is stopping"
                      : "too many commits are waiting; try again")));
    }
  }

  /** Writes the answer of the request a worker had, then takes what arrived meanwhile. */
  private void answer(HttpRequest r, Answer a) {
    boolean keepAlive = HttpUtil.isKeepAlive(r) && !server.stopping();
    ChannelFuture done = ctx.writeAndFlush(response(r, a, keepAlive));
    if (!keepAlive) {
      closing = true;
      Lingering.closeAfter(done);
    }
    busy = false;
    ctx.channel().config().setAutoRead(true);
    while (!busy && !held.isEmpty()) {
      Object next = held.poll();
      try {
        handle(next);
      } finally {
        ReferenceCountUtil.release(next);
      }
    }
  }

  /**
   * Answers {@code r} with {@code e} and closes the connection once the answer is out, without
   * reading the body: a client that announced 1 GiB is not made to send it.
   */
  private void refuse(HttpRequest r, ApiError e) {
    request = null;
    closing = true;
    FullHttpResponse response = response(r, Answer.of(e), false);
    if (e.code() == Code.METHOD_NOT_ALLOWED) {
      response.headers().set(HttpHeaderNames.ALLOW, "POST");
    }
    if (e.code() == Code.UNAUTHORIZED) {
      response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
    }
    log.debug("refused {} {} from {}: {}", r.method(), r.uri(), ctx.channel().remoteAddress(), e);
    Lingering.closeAfter(ctx.writeAndFlush(response));
  }

  private static FullHttpResponse response(HttpRequest r, Answer a, boolean keepAlive) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(a.status()),
            Unpooled.wrappedBuffer(a.body()));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType());
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, a.body().length);
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (r.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    return response;
  }

  private void releaseBody() {
    if (body != null) {
      body.release();
      body = null;
    }
    request = null;
  }
}
