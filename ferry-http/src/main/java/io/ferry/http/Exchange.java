package io.ferry.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.io.IOException;

/**
 * One request being answered: what was asked, and the ways to answer it. The connection adds the
 * common headers (Date, Server, Connection), counts the response in the metrics under its path
 * class, and then keeps the connection open or closes it. Answer exactly once, on the connection's
 * event loop.
 */
interface Exchange {
  /** Writes a response body after its head, ending with the last content; returns its future. */
  @FunctionalInterface
  interface Body {
    /**
     * @throws IOException when the body cannot be started: the connection is closed
     */
    ChannelFuture write(ChannelHandlerContext ctx) throws IOException;
  }

  HttpRequest request();

  /** The connection, for its allocator and addresses; answers go through the methods below. */
  ChannelHandlerContext ctx();

  /** Sends a complete response; the connection stays open if the request asked for it. */
  void respond(String pathClass, HttpResponse response);

  /** Sends a complete response, then closes the connection. */
  void respondAndClose(String pathClass, HttpResponse response);

  /** Sends {@code head}, then the body {@code body} writes. */
  void stream(String pathClass, HttpResponse head, Body body);

  /**
   * Hands the request, its body and its answer to a streaming route's handler: {@code rest} is its
   * path after the route's prefix.
   */
  void handOver(HttpStreamRoute route, String rest);
}
