package io.ferry.net.tls;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.net.tls.PeerCertificateException.Reason;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Handshakes over real TCP on 127.0.0.1, for every pairing of the OpenSSL and JDK providers, so the
 * trust manager is shown to run inside both TLS stacks.
 */
@Timeout(value = 60, unit = SECONDS)
class TlsHandshakeTest {
  private static final int WAIT_SECONDS = 10;
  private static final NodeKey SERVER = NodeKey.generate();
  private static final NodeKey CLIENT = NodeKey.generate();

  private static EventLoopGroup group;

  @BeforeAll
  static void startEventLoops() {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  }

  @AfterAll
  static void stopEventLoops() {
    group.shutdownGracefully(0, 1, SECONDS).awaitUninterruptibly(WAIT_SECONDS, SECONDS);
  }

  static Stream<Arguments> providers() {
    return Stream.of(
        Arguments.of(SslProvider.OPENSSL, SslProvider.OPENSSL),
        Arguments.of(SslProvider.JDK, SslProvider.JDK),
        Arguments.of(SslProvider.OPENSSL, SslProvider.JDK),
        Arguments.of(SslProvider.JDK, SslProvider.OPENSSL));
  }

  @Test
  void openSslIsPreferredWhenItLoads() {
    assumeTrue(OpenSsl.isAvailable(), "netty-tcnative does not load here");

    assertThat(TlsContexts.preferredProvider()).isEqualTo(SslProvider.OPENSSL);
    assertThat(TlsContexts.create(SERVER).provider()).isEqualTo(SslProvider.OPENSSL);
  }

  @ParameterizedTest(name = "server {0}, client {1}")
  @MethodSource("providers")
  void twoNodesLearnEachOthersIds(SslProvider serverProvider, SslProvider clientProvider)
      throws Exception {
    TlsContexts server = contexts(PeerCertificate.generate(SERVER), serverProvider);
    TlsContexts client = contexts(PeerCertificate.generate(CLIENT), clientProvider);

    try (Connection c = Connection.open(server, client)) {
      Handshake atServer = c.server.get(WAIT_SECONDS, SECONDS);
      Handshake atClient = c.client.get(WAIT_SECONDS, SECONDS);

      assertThat(atServer.peer()).isEqualTo(CLIENT.id());
      assertThat(atClient.peer()).isEqualTo(SERVER.id());
      for (Handshake h : new Handshake[] {atServer, atClient}) {
        assertThat(h.session().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(h.session().getCipherSuite()).isIn(TlsContexts.CIPHERS);
      }
      assertThat(atServer.engineClass()).contains(engineName(serverProvider));
      assertThat(atClient.engineClass()).contains(engineName(clientProvider));
      assertThat(PeerIdentity.require(atClient.session(), SERVER.id())).isEqualTo(SERVER.id());
      assertThatThrownBy(() -> PeerIdentity.require(atClient.session(), CLIENT.id()))
          .isInstanceOfSatisfying(
              PeerCertificateException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.UNEXPECTED_PEER);
                assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
              });
      assertThat(c.echo("ping").get(WAIT_SECONDS, SECONDS)).isEqualTo("ping");
    }
  }

  @ParameterizedTest(name = "server {0}, client {1}")
  @MethodSource("providers")
  void theServerRefusesAClientWhoseExtensionIsSignedByAnotherKey(
      SslProvider serverProvider, SslProvider clientProvider) throws Exception {
    TlsContexts server = contexts(PeerCertificate.generate(SERVER), serverProvider);
    // Claims CLIENT's id, but the extension is signed by some other node key.
    TlsContexts impostor =
        contexts(TestCertificates.forged(NodeKey.generate(), CLIENT.id()), clientProvider);

    try (Connection c = Connection.open(server, impostor)) {
      assertThat(reasonOf(c.server)).isEqualTo(Reason.BAD_KEY_SIGNATURE);
      // In TLS 1.3 the client may believe its handshake done before the server has checked it;
      // either way nothing it sends is answered and the server closes the connection.
      CompletableFuture<String> reply = c.echo("ping");
      c.clientChannel.closeFuture().await(WAIT_SECONDS, SECONDS);
      assertThat(c.clientChannel.isActive()).isFalse();
      assertThat(reply).isNotCompleted();
    }
  }

  @ParameterizedTest(name = "server {0}, client {1}")
  @MethodSource("providers")
  void theClientRefusesAServerWithoutTheExtension(
      SslProvider serverProvider, SslProvider clientProvider) throws Exception {
    TlsContexts plainServer = contexts(TestCertificates.plain(SERVER.id()), serverProvider);
    TlsContexts client = contexts(PeerCertificate.generate(CLIENT), clientProvider);

    try (Connection c = Connection.open(plainServer, client)) {
      assertThat(reasonOf(c.client)).isEqualTo(Reason.MISSING_EXTENSION);
      assertThatThrownBy(() -> c.server.get(WAIT_SECONDS, SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(SSLException.class);
    }
  }

  @ParameterizedTest(name = "server {0}")
  @MethodSource("serverProviders")
  void theServerRefusesTls12(SslProvider serverProvider) throws Exception {
    TlsContexts server = contexts(PeerCertificate.generate(SERVER), serverProvider);
    PeerCertificate clientCertificate = PeerCertificate.generate(CLIENT);
    SslContext tls12 =
        SslContextBuilder.forClient()
            .sslProvider(SslProvider.JDK)
            .protocols("TLSv1.2")
            .keyManager(clientCertificate.privateKey(), clientCertificate.certificate())
            .trustManager(new PeerTrustManager())
            .endpointIdentificationAlgorithm(null)
            .build();

    try (Connection c = Connection.open(server::newServerHandler, tls12::newHandler)) {
      assertThatThrownBy(() -> c.server.get(WAIT_SECONDS, SECONDS))
          .isInstanceOf(ExecutionException.class);
      assertThatThrownBy(() -> c.client.get(WAIT_SECONDS, SECONDS))
          .isInstanceOf(ExecutionException.class);
    }
  }

  static Stream<SslProvider> serverProviders() {
    return Stream.of(SslProvider.OPENSSL, SslProvider.JDK);
  }

  private static TlsContexts contexts(PeerCertificate certificate, SslProvider provider) {
    if (provider == SslProvider.OPENSSL) {
      assumeTrue(OpenSsl.isAvailable(), "netty-tcnative does not load here");
    }
    TlsContexts contexts = TlsContexts.create(certificate, provider);
    assertThat(contexts.provider()).isEqualTo(provider);
    return contexts;
  }

  private static String engineName(SslProvider provider) {
    return provider == SslProvider.OPENSSL ? "OpenSsl" : "SSLEngineImpl";
  }

  /** The rejection reason in the cause chain of a failed handshake. */
  private static Reason reasonOf(CompletableFuture<Handshake> handshake) throws Exception {
    try {
      Handshake h = handshake.get(WAIT_SECONDS, SECONDS);
      throw new AssertionError("the handshake succeeded with peer " + h.peer());
    } catch (ExecutionException e) {
      // The TLS handshake itself failed, not just the identity check after it.
      assertThat(e.getCause()).isInstanceOf(SSLException.class);
      for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
        if (t instanceof PeerCertificateException rejected) {
          return rejected.reason();
        }
      }
      throw new AssertionError("no PeerCertificateException in the failure", e.getCause());
    }
  }

  record Handshake(NodeId peer, SSLSession session, String engineClass) {}

  /** One server listening on 127.0.0.1 and one client connected to it. */
  private static final class Connection implements AutoCloseable {
    final CompletableFuture<Handshake> server = new CompletableFuture<>();
    final CompletableFuture<Handshake> client = new CompletableFuture<>();
    final CompletableFuture<String> clientReceived = new CompletableFuture<>();
    Channel listener;
    Channel clientChannel;

    static Connection open(TlsContexts serverContexts, TlsContexts clientContexts)
        throws InterruptedException {
      return open(serverContexts::newServerHandler, clientContexts::newClientHandler);
    }

    static Connection open(
        Function<ByteBufAllocator, SslHandler> serverHandler,
        Function<ByteBufAllocator, SslHandler> clientHandler)
        throws InterruptedException {
      Connection c = new Connection();
      c.listener =
          new ServerBootstrap()
              .group(group)
              .channel(NioServerSocketChannel.class)
              .childHandler(initializer(serverHandler, c.server, new Echo()))
              .bind(new InetSocketAddress("127.0.0.1", 0))
              .sync()
              .channel();
      c.clientChannel =
          new Bootstrap()
              .group(group)
              .channel(NioSocketChannel.class)
              .handler(initializer(clientHandler, c.client, new Collect(c.clientReceived)))
              .connect(c.listener.localAddress())
              .sync()
              .channel();
      return c;
    }

    /** Sends {@code text} once the client's handshake is done; completes with the reply. */
    CompletableFuture<String> echo(String text) {
      client.thenRun(
          () -> clientChannel.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
      return clientReceived;
    }

    @Override
    public void close() {
      if (clientChannel != null) {
        clientChannel.close().awaitUninterruptibly(WAIT_SECONDS, SECONDS);
      }
      listener.close().awaitUninterruptibly(WAIT_SECONDS, SECONDS);
    }
  }

  private static ChannelInitializer<SocketChannel> initializer(
      Function<ByteBufAllocator, SslHandler> newHandler,
      CompletableFuture<Handshake> result,
      io.netty.channel.ChannelHandler application) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        SslHandler ssl = newHandler.apply(ch.alloc());
        ch.pipeline().addLast(ssl, application);
        ssl.handshakeFuture()
            .addListener(
                f -> {
                  if (!f.isSuccess()) {
                    result.completeExceptionally(f.cause());
                    return;
                  }
                  try {
                    SSLSession session = ssl.engine().getSession();
                    result.complete(
                        new Handshake(
                            PeerIdentity.of(session),
                            session,
                            ssl.engine().getClass().getSimpleName()));
                  } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                  }
                });
      }
    };
  }

  /** Writes back whatever it reads. */
  @io.netty.channel.ChannelHandler.Sharable
  private static final class Echo extends SimpleChannelInboundHandler<ByteBuf> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
      ctx.writeAndFlush(msg.retain());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a failed handshake surfaces here too; its cause is checked elsewhere
    }
  }

  /** Completes {@code received} with the first text read. */
  private static final class Collect extends SimpleChannelInboundHandler<ByteBuf> {
    private final CompletableFuture<String> received;

    Collect(CompletableFuture<String> received) {
      this.received = received;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
      received.complete(msg.toString(StandardCharsets.UTF_8));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
