package io.ferry.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One request of an {@link HttpStreamRoute}: its body queued as it arrives and handed to a reader
 * thread, and its answer, whole or streamed. The connection reads from the socket only while fewer
 * than {@link #BODY_HIGH_WATER} bytes wait in the queue, so memory per upload is bounded by that
 * plus one socket read.
 *
 * <p>Thread-safe: the body queue is guarded by this object's monitor; everything that touches the
 * channel runs on its event loop.
 */
final class StreamCall implements HttpStreamRoute.Call {
  /** Bytes of request body queued before the connection stops reading the socket. */
  static final int BODY_HIGH_WATER = 256 * 1024;

  /** What the call needs of its connection. */
  interface Link {
    /** Sends a complete response, then goes on as {@code keepAlive} says. */
    void send(String pathClass, HttpResponse response, boolean keepAlive);

    /** Writes a streamed response's head (counted, not flushed). */
    void head(String pathClass, HttpResponse head, boolean keepAlive);

    /** After the last write of a streamed response. */
    void finish(ChannelFuture last, boolean keepAlive);
  }

  private final ChannelHandlerContext ctx;
  private final HttpRequest request;
  private final String pathClass;
  private final String rest;
  private final boolean keepAlive;
  private final Link link;
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final Body body;

  // Event loop only.
  private boolean answered;
  private boolean readInFlight;
  private boolean continued;
  private Writer writer;

  // Guarded by this.
  private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
  private long queued;
  private long peakQueued;
  private boolean ended;
  private boolean discarding;
  private boolean gone;

  StreamCall(
      ChannelHandlerContext ctx,
      HttpRequest request,
      String pathClass,
      String rest,
      boolean keepAlive,
      Link link) {
    this.ctx = ctx;
    this.request = request;
    this.pathClass = pathClass;
    this.rest = rest;
    this.keepAlive = keepAlive;
    this.link = link;
    this.body = new Body();
    if (!hasBody(request)) {
      ended = true;
    }
  }

  /** Whether {@code request} announces a body (its contents follow the head). */
  static boolean hasBody(HttpRequest request) {
    return HttpUtil.isTransferEncodingChunked(request)
        || HttpUtil.getContentLength(request, 0L) > 0;
  }

  HttpRequest request() {
    return request;
  }

  // ---- the Call

  @Override
  public String method() {
    return request.method().name();
  }

  @Override
  public String rest() {
    return rest;
  }

  @Override
  public Map<String, List<String>> query() {
    return new QueryStringDecoder(request.uri()).parameters();
  }

  @Override
  public Optional<String> header(String name) {
    return Optional.ofNullable(request.headers().get(name));
  }

  @Override
  public InetSocketAddress remote() {
    return (InetSocketAddress) ctx.channel().remoteAddress();
  }

  @Override
  public InputStream body() {
    return body;
  }

  @Override
  public CompletableFuture<Void> closed() {
    return closed;
  }

  @Override
  public void respond(int status, String contentType, byte[] content, Map<String, String> headers) {
    onLoop(
        () -> {
          if (answered) {
            return;
          }
          answered = true;
          FullHttpResponse response =
              new DefaultFullHttpResponse(
                  HttpVersion.HTTP_1_1,
                  HttpResponseStatus.valueOf(status),
                  Unpooled.wrappedBuffer(content));
          HttpHeaders h = response.headers();
          h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
          h.setInt(HttpHeaderNames.CONTENT_LENGTH, content.length);
          h.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
          headers.forEach(h::set);
          link.send(pathClass, response, keepAfterAnswer());
        });
  }

  @Override
  public HttpStreamRoute.ResponseStream stream(int status, Map<String, String> headers) {
    Writer w = new Writer();
    onLoop(
        () -> {
          if (answered) {
            w.fail();
            return;
          }
          answered = true;
          writer = w;
          HttpResponse head =
              new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
          HttpHeaders h = head.headers();
          h.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
          headers.forEach(h::set);
          w.keep = keepAfterAnswer() && HttpUtil.isContentLengthSet(head);
          link.head(pathClass, head, w.keep);
        });
    return w;
  }

  /**
   * Keep the connection after the answer only if the request body was read to its end; otherwise
   * drop what is left of it while the connection lingers.
   */
  private boolean keepAfterAnswer() {
    boolean bodyDone;
    synchronized (this) {
      bodyDone = ended;
      if (!bodyDone) {
        discarding = true;
        queue.clear();
        queued = 0;
        notifyAll();
      }
    }
    if (!bodyDone) {
      ctx.channel().config().setAutoRead(true);
    }
    return keepAlive && bodyDone;
  }

  // ---- what the connection tells the call (event loop)

  /** A part of the request body arrived. */
  void offer(io.netty.handler.codec.http.HttpContent content) {
    ByteBuf buf = content.content();
    synchronized (this) {
      if (!discarding && !gone && !ended && buf.isReadable()) {
        byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        queue.add(bytes);
        queued += bytes.length;
        peakQueued = Math.max(peakQueued, queued);
      }
      if (content instanceof LastHttpContent) {
        ended = true;
      }
      notifyAll();
    }
  }

  /** Bytes of body queued now, and the most ever queued: what tests of backpressure check. */
  synchronized long queuedBytes() {
    return queued;
  }

  synchronized long peakQueuedBytes() {
    return peakQueued;
  }

  /** Whether the request body has arrived to its end. */
  synchronized boolean bodyEnded() {
    return ended;
  }

  /** A socket read is done: read again while the body queue has room. */
  void readComplete() {
    readInFlight = false;
    maybeRead();
  }

  void writabilityChanged() {
    if (writer != null && ctx.channel().isWritable()) {
      writer.resume();
    }
  }

  void connectionClosed() {
    synchronized (this) {
      gone = true;
      notifyAll();
    }
    if (writer != null) {
      writer.fail();
    }
    closed.complete(null);
  }

  /**
   * Whether the connection is quiet because the handler has nothing to send yet (it waits for a
   * source of its own), not because the client stopped sending or reading: the idle timeout spares
   * such a connection.
   */
  boolean waitingOnServer() {
    return bodyEnded() && (writer == null ? !answered : !writer.done && ctx.channel().isWritable());
  }

  private void maybeRead() {
    boolean want;
    synchronized (this) {
      want = !ended && !discarding && !gone && queued < BODY_HIGH_WATER;
    }
    if (want && !readInFlight) {
      if (!continued && HttpUtil.is100ContinueExpected(request)) {
        continued = true;
        ctx.writeAndFlush(
            new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
      }
      readInFlight = true;
      ctx.read();
    }
  }

  private void onLoop(Runnable r) {
    if (ctx.executor().inEventLoop()) {
      r.run();
    } else {
      ctx.executor().execute(r);
    }
  }

  // ---- the body

  /** The request body for a reader thread. */
  private final class Body extends InputStream {
    private byte[] current;
    private int at;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (current == null || at == current.length) {
        current = take();
        at = 0;
        if (current == null) {
          return -1;
        }
      }
      int n = Math.min(len, current.length - at);
      System.arraycopy(current, at, b, off, n);
      at += n;
      return n;
    }

    /** The next part of the body; null at its end. */
    private byte[] take() throws IOException {
      boolean asked = false;
      synchronized (StreamCall.this) {
        while (queue.isEmpty()) {
          if (gone) {
            throw new IOException("the client closed the connection before the body ended");
          }
          if (discarding) {
            throw new IOException("the request was answered before its body was read");
          }
          if (ended) {
            return null;
          }
          if (!asked) {
            asked = true;
            ctx.executor().execute(StreamCall.this::maybeRead);
          }
          try {
            StreamCall.this.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading a request body");
          }
        }
        byte[] next = queue.poll();
        boolean wasFull = queued >= BODY_HIGH_WATER;
        queued -= next.length;
        if (wasFull && queued < BODY_HIGH_WATER) {
          ctx.executor().execute(StreamCall.this::maybeRead);
        }
        return next;
      }
    }
  }

  // ---- a streamed answer

  private final class Writer implements HttpStreamRoute.ResponseStream {
    // Event loop only.
    private CompletableFuture<Void> waiting;
    private boolean keep;
    private boolean done;

    @Override
    public CompletableFuture<Void> write(byte[] bytes) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      onLoop(
          () -> {
            if (done || !ctx.channel().isActive()) {
              f.completeExceptionally(new IOException("the connection is closed"));
              return;
            }
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)))
                .addListener(
                    w -> {
                      if (!w.isSuccess()) {
                        ctx.close();
                      }
                    });
            if (ctx.channel().isWritable()) {
              f.complete(null);
            } else {
              waiting = f;
            }
          });
      return f;
    }

    @Override
    public void end() {
      onLoop(
          () -> {
            if (done) {
              return;
            }
            done = true;
            link.finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keep);
          });
    }

    @Override
    public void abort() {
      onLoop(
          () -> {
            done = true;
            ctx.close();
          });
    }

    void resume() {
      CompletableFuture<Void> f = waiting;
      waiting = null;
      if (f != null) {
        f.complete(null);
      }
    }

    void fail() {
      done = true;
      CompletableFuture<Void> f = waiting;
      waiting = null;
      if (f != null) {
        f.completeExceptionally(new IOException("the connection is closed"));
      }
    }
  }
}
