package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.node.cli.Main;
import io.ferry.sync.snapshot.app.ApplyResult;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.archive.ArchiveApplication;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * MerkleDB as a state-sync application across a crash: the frames it staged are not fsynced, so
 * what a power loss left of them is checked again against the manifest when the snapshot is offered
 * anew, and a frame cut short or emptied is fetched again instead of being assembled.
 */
@Timeout(120)
class StagedFramesRestartTest {
  @TempDir Path tmp;

  private static String ferry(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(new StringWriter(), true));
    assertThat(cli.execute(args)).as(List.of(args).toString()).isZero();
    String[] lines = out.toString().strip().split("\n");
    return lines[lines.length - 1].strip();
  }

  private ArchiveApplication restoring() {
    return new ArchiveApplication(
        tmp.resolve("client").resolve("snapshots"),
        tmp.resolve("client").resolve("frames"),
        tmp.resolve("client").resolve("snapshots"),
        (archive, root) -> {
          throw new AssertionError("nothing is restored here");
        });
  }

  @Test
  void aStagedFrameCutShortOrEmptiedIsNotCountedAsApplied() throws Exception {
    Path source = tmp.resolve("source");
    String root = ferry("state", "generate", "--data", source.toString(), "--keys", "5000");
    ferry("snapshot", "create", "--data", source.toString(), "--chunk-size", "16384");
    ArchiveApplication server = ArchiveApplication.servingOnly(source.resolve("snapshots"));
    Snapshot s = server.listSnapshots().get(0);
    assertThat(s.chunks()).isGreaterThan(4);
    Bytes trusted = Bytes.wrap(HexFormat.of().parseHex(root));
    NodeId sender = NodeId.of(new byte[32]);

    ArchiveApplication first = restoring();
    assertThat(first.offerSnapshot(s, trusted)).isEqualTo(OfferResult.ACCEPT);
    for (int i = 0; i < 4; i++) {
      Bytes chunk = server.loadSnapshotChunk(s.height(), s.format(), i).orElseThrow();
      assertThat(first.applySnapshotChunk(i, chunk, sender).result()).isEqualTo(ApplyResult.ACCEPT);
    }
    // What a power loss may leave of frames that never reached the disk: one cut short, one the
    // right length but all zeros.
    Path staged =
        tmp.resolve("client").resolve("frames").resolve(s.height() + "-" + s.hash().toHex());
    Path cut = staged.resolve("000001.zst");
    byte[] whole = Files.readAllBytes(cut);
    Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
    Path zeros = staged.resolve("000002.zst");
    Files.write(zeros, new byte[(int) Files.size(zeros)]);

    ArchiveApplication restarted = restoring();
    assertThat(restarted.offerSnapshot(s, trusted)).isEqualTo(OfferResult.ACCEPT);
    assertThat(restarted.appliedChunks(s).stream().boxed().toList()).containsExactly(0, 3);
    assertThat(cut).doesNotExist();
    assertThat(zeros).doesNotExist();
  }
}
