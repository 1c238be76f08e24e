package io.ferry.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of every connection: admits it under the total and per-address limits, or answers
 * 503 and closes it; and counts the bytes written to the socket.
 *
 * <p>Invariant: {@link #open()} and the per-address counts equal the admitted connections not yet
 * closed; a refused connection never reaches the HTTP handlers (its activation and reads stop
 * here). Shared by all connections; thread-safe.
 */
@Sharable
final class ConnectionGate extends ChannelDuplexHandler {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGate.class);
  private static final AttributeKey<InetAddress> ADMITTED =
      AttributeKey.valueOf("ferry.http.admitted");
  private static final byte[] BUSY =
      ("HTTP/1.1 503 Service Unavailable\r\n"
              + "Content-Type: text/plain\r\n"
              + "Content-Length: 14\r\n"
              + "Retry-After: 5\r\n"
              + "Connection: close\r\n"
              + "\r\n"
              + "too many conns")
          .getBytes(StandardCharsets.US_ASCII);

  private final int maxTotal;
  private final int maxPerIp;
  private final boolean plainText;
  private final HttpMetrics metrics;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> perIp = new ConcurrentHashMap<>();

  ConnectionGate(int maxTotal, int maxPerIp, boolean plainText, HttpMetrics metrics) {
    this.maxTotal = maxTotal;
    this.maxPerIp = maxPerIp;
    this.plainText = plainText;
    this.metrics = metrics;
  }

  int open() {
    return total.get();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    InetAddress ip = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    int all = total.incrementAndGet();
    int mine = perIp.merge(ip, 1, Integer::sum);
    String limit = all > maxTotal ? "total" : mine > maxPerIp ? "per_ip" : null;
    if (limit != null) {
      release(ip);
      metrics.refused(limit);
      log.debug("refusing a connection from {}: {} limit reached", ip, limit);
      if (plainText) {
        Lingering.closeAfter(ctx.writeAndFlush(Unpooled.wrappedBuffer(BUSY)));
      } else {
        ctx.close();
      }
      return;
    }
    ctx.channel().attr(ADMITTED).set(ip);
    metrics.connectionOpened();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (ctx.channel().attr(ADMITTED).get() == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    InetAddress ip = ctx.channel().attr(ADMITTED).getAndSet(null);
    if (ip != null) {
      release(ip);
      metrics.connectionClosed();
      ctx.fireChannelInactive();
    }
  }

  private void release(InetAddress ip) {
    total.decrementAndGet();
    perIp.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    long size =
        switch (msg) {
          case ByteBuf b -> b.readableBytes();
          case ByteBufHolder h -> h.content().readableBytes();
          case FileRegion r -> r.count() - r.transferred();
          default -> 0;
        };
    ChannelPromise p = promise.unvoid();
    if (size > 0) {
      p.addListener(
          f -> {
            if (f.isSuccess()) {
              metrics.bytesSent(size);
            }
          });
    }
    ctx.write(msg, p);
  }
}
