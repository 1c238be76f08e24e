package io.ferry.bench;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.net.PeerAddress;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.TransportConfig;
import io.ferry.net.tcp.NettyTransport;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Transport throughput between two processes over loopback: a server child process and this client.
 * Measures, in one run: (1) a plain unencrypted socket streaming N MiB, the reference; (2) the same
 * bytes fetched through Ferry's transport (TLS 1.3, framed envelopes) as 1 MiB responses with a
 * window of requests in flight; (3) small request/response pairs (32 bytes) with a window in
 * flight: rate and latency percentiles.
 *
 * <p>Usage: {@code bin/bench transport [--mib N] [--requests N] [--window N] [--rounds N]}.
 */
public final class TransportBench {
  private static final ProtocolId BULK = new ProtocolId(ProtocolId.FIRST_APPLICATION_VALUE);
  private static final ProtocolId ECHO = new ProtocolId(ProtocolId.FIRST_APPLICATION_VALUE + 1);
  private static final int CHUNK = 1 << 20;

  private TransportBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("serve")) {
      serve();
      return;
    }
    int mib = intArg(args, "--mib", 4096);
    int requests = intArg(args, "--requests", 400_000);
    int window = intArg(args, "--window", 256);
    int bulkWindow = intArg(args, "--bulk-window", 16);
    int rounds = intArg(args, "--rounds", 3);
    client(mib, requests, window, bulkWindow, rounds);
  }

  // ---------------- server process ----------------

  private static void serve() throws Exception {
    NettyTransport t =
        NettyTransport.start(
            NodeKey.generate(), new InetSocketAddress("127.0.0.1", 0), TransportConfig.DEFAULT);
    ByteString chunk = ByteString.copyFrom(filled(CHUNK));
    t.register(
        BULK,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder r) {
            r.respond(chunk);
          }
        });
    t.register(
        ECHO,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder r) {
            r.respond(payload);
          }
        });
    ServerSocket plain = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().name("plain-server").daemon().start(() -> servePlain(plain));
    System.out.println(
        "READY "
            + t.address()
            + " "
            + plain.getLocalPort()
            + " "
            + t.tlsProvider()
            + " "
            + t.ioBackend());
    System.out.flush();
    // Run until the client closes our stdin.
    while (System.in.read() >= 0) {
      // ignore
    }
    t.close();
  }

  private static void servePlain(ServerSocket server) {
    byte[] buf = filled(CHUNK);
    while (true) {
      try (Socket s = server.accept()) {
        s.setTcpNoDelay(true);
        DataInputStream in = new DataInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        long want = in.readLong();
        while (want > 0) {
          int n = (int) Math.min(buf.length, want);
          out.write(buf, 0, n);
          want -= n;
        }
        out.flush();
        in.read(); // wait for the client to finish reading
      } catch (IOException e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  private static byte[] filled(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    return b;
  }

  // ---------------- client process ----------------

  private static void client(int mib, int requests, int window, int bulkWindow, int rounds)
      throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-Xmx2g");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(TransportBench.class.getName());
    cmd.add("serve");
    Process server = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader lines =
          new BufferedReader(
              new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String ready = lines.readLine();
      if (ready == null || !ready.startsWith("READY ")) {
        throw new IllegalStateException("server did not start: " + ready);
      }
      String[] parts = ready.split(" ");
      PeerAddress address = PeerAddress.parse(parts[1]);
      int plainPort = Integer.parseInt(parts[2]);
      try (NettyTransport t =
          NettyTransport.start(
              NodeKey.generate(), new InetSocketAddress("127.0.0.1", 0), TransportConfig.DEFAULT)) {
        NodeId peer = t.connect(address).get(10, TimeUnit.SECONDS);
        System.out.printf(
            "transport bench: server pid %d, TLS 1.3 via %s, %s; %d CPUs; %d MiB per bulk run,"
                + " %d small requests (window %d), %d rounds%n",
            server.pid(),
            parts[3],
            parts[4],
            Runtime.getRuntime().availableProcessors(),
            mib,
            requests,
            window,
            rounds);
        // Warm-up: JIT, TLS session, buffer pools.
        plainCopy(plainPort, 512L << 20);
        bulk(t, peer, 512, bulkWindow);
        small(t, peer, 50_000, window);

        double[] plain = new double[rounds];
        double[] ferry = new double[rounds];
        double[][] req = new double[rounds][];
        for (int r = 0; r < rounds; r++) {
          plain[r] = plainCopy(plainPort, (long) mib << 20);
          ferry[r] = bulk(t, peer, mib, bulkWindow);
          req[r] = small(t, peer, requests, window);
          System.out.printf(
              "round %d: plain socket %7.0f MB/s | ferry TLS %7.0f MB/s (%.2fx) | small requests"
                  + " %7.0f /s, p50 %.0f us, p99 %.0f us%n",
              r + 1, plain[r], ferry[r], ferry[r] / plain[r], req[r][0], req[r][1], req[r][2]);
        }
        double[] unloaded = small(t, peer, 20_000, 1);
        System.out.printf(
            "one request at a time: %.0f /s, p50 %.0f us, p99 %.0f us%n",
            unloaded[0], unloaded[1], unloaded[2]);
        double p = median(plain);
        double f = median(ferry);
        System.out.printf(
            "median: plain socket %.0f MB/s, ferry transport (TLS) %.0f MB/s, ratio %.2f;"
                + " small requests %.0f /s (p50 %.0f us, p99 %.0f us)%n",
            p,
            f,
            f / p,
            median(Arrays.stream(req).mapToDouble(x -> x[0]).toArray()),
            median(Arrays.stream(req).mapToDouble(x -> x[1]).toArray()),
            median(Arrays.stream(req).mapToDouble(x -> x[2]).toArray()));
      }
    } finally {
      server.getOutputStream().close();
      if (!server.waitFor(10, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  /** MB/s (10^6 bytes) reading {@code bytes} from the plain socket server. */
  private static double plainCopy(int port, long bytes) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setTcpNoDelay(true);
      s.setReceiveBufferSize(4 << 20);
      long start = System.nanoTime();
      new DataOutputStream(s.getOutputStream()).writeLong(bytes);
      InputStream in = s.getInputStream();
      byte[] buf = new byte[CHUNK];
      long got = 0;
      while (got < bytes) {
        int n = in.read(buf);
        if (n < 0) {
          throw new IOException("plain server closed after " + got + " bytes");
        }
        got += n;
      }
      long nanos = System.nanoTime() - start;
      s.getOutputStream().write(1);
      return bytes / (nanos / 1e9) / 1e6;
    }
  }

  /** MB/s fetching {@code mib} 1 MiB responses with {@code window} requests in flight. */
  private static double bulk(NettyTransport t, NodeId peer, int mib, int window) throws Exception {
    Semaphore slots = new Semaphore(window);
    AtomicLong bytes = new AtomicLong();
    CompletableFuture<Void> failed = new CompletableFuture<>();
    ByteString ask = ByteString.copyFrom(ByteBuffer.allocate(8).putLong(CHUNK).flip());
    long start = System.nanoTime();
    for (int i = 0; i < mib && !failed.isDone(); i++) {
      slots.acquire();
      t.request(peer, BULK, ask, Duration.ofSeconds(60))
          .whenComplete(
              (resp, e) -> {
                if (e != null) {
                  failed.completeExceptionally(e);
                } else {
                  bytes.addAndGet(resp.size());
                }
                slots.release();
              });
    }
    slots.acquire(window);
    long nanos = System.nanoTime() - start;
    if (failed.isCompletedExceptionally()) {
      failed.join();
    }
    return bytes.get() / (nanos / 1e9) / 1e6;
  }

  /** {rate per second, p50 us, p99 us} for {@code n} 32-byte echo requests. */
  private static double[] small(NettyTransport t, NodeId peer, int n, int window) throws Exception {
    Semaphore slots = new Semaphore(window);
    long[] latencies = new long[n];
    CompletableFuture<Void> failed = new CompletableFuture<>();
    ByteString payload = ByteString.copyFrom(new byte[32]);
    long start = System.nanoTime();
    for (int i = 0; i < n && !failed.isDone(); i++) {
      slots.acquire();
      int index = i;
      long sent = System.nanoTime();
      t.request(peer, ECHO, payload, Duration.ofSeconds(30))
          .whenComplete(
              (resp, e) -> {
                latencies[index] = System.nanoTime() - sent;
                if (e != null) {
                  failed.completeExceptionally(e);
                }
                slots.release();
              });
    }
    slots.acquire(window);
    long nanos = System.nanoTime() - start;
    if (failed.isCompletedExceptionally()) {
      failed.join();
    }
    Arrays.sort(latencies);
    return new double[] {
      n / (nanos / 1e9), latencies[n / 2] / 1e3, latencies[(int) (n * 0.99)] / 1e3
    };
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static int intArg(String[] args, String name, int dflt) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return dflt;
  }
}
