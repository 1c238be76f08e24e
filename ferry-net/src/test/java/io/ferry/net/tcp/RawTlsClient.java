package io.ferry.net.tcp;

import io.ferry.core.identity.NodeKey;
import io.ferry.net.tls.TlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A misbehaving peer for tests: completes a genuine TLS handshake with its own node key, then
 * writes whatever raw bytes the test gives it, bypassing the frame encoder.
 */
final class RawTlsClient implements AutoCloseable {
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel channel;
  final CompletableFuture<Void> handshake = new CompletableFuture<>();
  final CompletableFuture<Void> closed = new CompletableFuture<>();

  RawTlsClient(NodeKey key, InetSocketAddress server) throws InterruptedException {
    this(key, server, new InetSocketAddress(0));
  }

  /** Connects from {@code local}: another loopback address such as 127.0.0.2 is another host. */
  RawTlsClient(NodeKey key, InetSocketAddress server, InetSocketAddress local)
      throws InterruptedException {
    TlsContexts tls = TlsContexts.create(key);
    channel =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    SslHandler ssl = tls.client().newHandler(ch.alloc());
                    ssl.handshakeFuture()
                        .addListener(
                            f -> {
                              if (f.isSuccess()) {
                                handshake.complete(null);
                              } else {
                                handshake.completeExceptionally(f.cause());
                              }
                            });
                    ch.pipeline().addLast(ssl);
                    ch.pipeline()
                        .addLast(
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                io.netty.util.ReferenceCountUtil.release(msg);
                              }
                            });
                    ch.closeFuture().addListener(f -> closed.complete(null));
                  }
                })
            .connect(server, local)
            .sync()
            .channel();
  }

  void write(byte[] bytes) {
    ByteBuf buf = Unpooled.wrappedBuffer(bytes);
    channel.writeAndFlush(buf);
  }

  @Override
  public void close() {
    channel.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
