package io.ferry.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.node.Node;
import io.ferry.node.config.NodeSettings;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry blocks put|get|ls} against a node on loopback, and their exit codes. */
@Timeout(120)
class BlocksCommandTest {
  @TempDir Path tmp;

  @Test
  void aFilePutThroughANodeComesBackWholeAndIsListed() throws Exception {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve("node").toString();
    s.p2p = "127.0.0.1:0";
    s.http = "127.0.0.1:0";
    s.snapshots.fullInterval = 0L;
    try (Node node = Node.start(s.toConfig())) {
      String url = "http://127.0.0.1:" + node.httpAddress().orElseThrow().getPort();
      Path file = tmp.resolve("payload.bin");
      byte[] data = new byte[700_001];
      new Random(11).nextBytes(data);
      Files.write(file, data);

      CliRun put =
          CliRun.ferry("blocks", "put", file.toString(), "--block-size", "8192", "--node", url);
      assertThat(put.exitCode()).as(put.err()).isZero();
      String cid = put.out().strip();
      assertThat(Cid.parse(cid).codec()).isEqualTo(Multicodec.FERRY_MANIFEST);

      Path out = tmp.resolve("copy.bin");
      CliRun get = CliRun.ferry("blocks", "get", cid, "-o", out.toString(), "--node", url);
      assertThat(get.exitCode()).as(get.err()).isZero();
      assertThat(Files.mismatch(file, out)).isEqualTo(-1L);
      assertThat(tmp.resolve("copy.bin.part")).doesNotExist();

      CliRun again = CliRun.ferry("blocks", "get", cid, "-o", out.toString(), "--node", url);
      assertThat(again.exitCode()).isEqualTo(ExitCodes.EXISTS);
      CliRun forced =
          CliRun.ferry("blocks", "get", cid, "-o", out.toString(), "--force", "--node", url);
      assertThat(forced.exitCode()).as(forced.err()).isZero();

      CliRun ls = CliRun.ferry("blocks", "ls", "--node", url);
      assertThat(ls.exitCode()).isZero();
      assertThat(ls.out()).contains(cid).contains("payload.bin").contains("pinned");

      CliRun tree =
          CliRun.ferry(
              "blocks",
              "get",
              node.blocks().store().manifest(Cid.parse(cid)).orElseThrow().tree().toString(),
              "-o",
              tmp.resolve("x").toString(),
              "--node",
              url);
      assertThat(tree.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
      CliRun badEc = CliRun.ferry("blocks", "put", file.toString(), "--ec", "4", "--node", url);
      assertThat(badEc.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
    }
  }

  @Test
  void anUnreachableNodeAndAShortBodyHaveTheirOwnExitCodes() throws Exception {
    Cid cid = Cid.hash(Multicodec.FERRY_MANIFEST, new byte[] {1});
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    CliRun unreachable =
        CliRun.ferry(
            "blocks",
            "get",
            cid.toString(),
            "-o",
            tmp.resolve("a").toString(),
            "--node",
            "http://127.0.0.1:" + closedPort);
    assertThat(unreachable.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);

    // A node whose fetch fails midway: it announced 100 bytes and closes after 10.
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread t =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try (Socket c = server.accept()) {
                      InputStream in = c.getInputStream();
                      byte[] head = new byte[4096];
                      in.read(head); // the request head fits one read on loopback
                      OutputStream o = c.getOutputStream();
                      o.write(
                          ("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "x".repeat(10))
                              .getBytes(StandardCharsets.US_ASCII));
                      o.flush();
                    } catch (java.io.IOException e) {
                      // the test sees what the client made of it
                    }
                  });
      Path out = tmp.resolve("short.bin");
      CliRun cut =
          CliRun.ferry(
              "blocks",
              "get",
              cid.toString(),
              "-o",
              out.toString(),
              "--node",
              "http://127.0.0.1:" + server.getLocalPort());
      t.join();
      assertThat(cut.exitCode()).as(cut.err()).isEqualTo(ExitCodes.INCOMPLETE);
      assertThat(cut.err()).contains("10 of 100 bytes");
      assertThat(out).doesNotExist();
      assertThat(tmp.resolve("short.bin.part")).doesNotExist();
    }
  }
}
