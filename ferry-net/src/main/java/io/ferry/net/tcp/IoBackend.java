package io.ferry.net.tcp;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The socket layer Netty uses: native epoll on Linux when its library loads, else Java NIO.
 *
 * @param name "epoll" or "nio", for logs
 */
public record IoBackend(
    String name,
    IoHandlerFactory factory,
    Class<? extends SocketChannel> socketChannel,
    Class<? extends ServerChannel> serverChannel) {

  public static IoBackend best() {
    if (!Boolean.getBoolean("ferry.net.nio") && Epoll.isAvailable()) {
      return new IoBackend(
          "epoll",
          EpollIoHandler.newFactory(),
          EpollSocketChannel.class,
          EpollServerSocketChannel.class);
    }
    return new IoBackend(
        "nio", NioIoHandler.newFactory(), NioSocketChannel.class, NioServerSocketChannel.class);
  }

  public MultiThreadIoEventLoopGroup newGroup(int threads) {
    return new MultiThreadIoEventLoopGroup(threads, factory);
  }
}
