package io.ferry.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;
import java.util.concurrent.TimeUnit;

/**
 * Closing a connection whose client may still be sending: a plain close with unread input makes the
 * kernel send a reset, which can destroy the response the client has not read yet. So the output is
 * shut down first (the client sees the response, then end of stream), input keeps being read and
 * dropped, and the connection is closed when the client closes it or after one second.
 *
 * <p>Other Netty HTTP servers of Ferry (the node's write API) close their connections so too.
 */
public final class Lingering {
  /** How long a connection lingers for the client to close it. */
  public static final long LINGER_MILLIS = 1000;

  private Lingering() {}

  /** Closes {@code channel} gracefully once {@code lastWrite} is done. */
  public static void closeAfter(ChannelFuture lastWrite) {
    lastWrite.addListener(
        f -> {
          Channel ch = lastWrite.channel();
          if (!f.isSuccess() || !(ch instanceof DuplexChannel duplex)) {
            ch.close();
            return;
          }
          duplex.shutdownOutput();
          ch.eventLoop().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        });
  }
}
