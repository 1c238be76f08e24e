package io.ferry.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code ferry state} commands end to end on a real RocksDB store. */
class StateCommandTest {
  @TempDir Path tmp;

  record Result(int exitCode, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  private static Result ferry(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  private static Result withStdin(String input, String... args) {
    InputStream old = System.in;
    System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
    try {
      return ferry(args);
    } finally {
      System.setIn(old);
    }
  }

  @Test
  void generateIsDeterministicPerSeedAndPrintsTheRootLast() {
    Result a = ferry("state", "generate", "--data", tmp.resolve("a").toString(), "--keys", "2000");
    Result b = ferry("state", "generate", "--data", tmp.resolve("b").toString(), "--keys", "2000");
    Result c =
        ferry(
            "state",
            "generate",
            "--data",
            tmp.resolve("c").toString(),
            "--keys",
            "2000",
            "--seed",
            "2");
    assertThat(a.exitCode()).as(a.err()).isZero();
    assertThat(a.lastLine()).matches("[0-9a-f]{64}").isEqualTo(b.lastLine());
    assertThat(c.lastLine()).matches("[0-9a-f]{64}").isNotEqualTo(a.lastLine());
    Result root = ferry("state", "root", "--data", tmp.resolve("a").toString());
    assertThat(root.lastLine()).isEqualTo(a.lastLine());
    assertThat(root.out()).contains("height 1");
  }

  @Test
  void generateRefusesANonEmptyStore() {
    String dir = tmp.resolve("s").toString();
    ferry("state", "generate", "--data", dir, "--keys", "10");
    Result again = ferry("state", "generate", "--data", dir, "--keys", "10");
    assertThat(again.exitCode()).isEqualTo(ExitCodes.FAILURE);
    assertThat(again.err()).contains("empty store");
  }

  @Test
  void branchFactorChangesTheRootAndIsFixedAtCreation() {
    Result bf16 = ferry("state", "generate", "--data", tmp.resolve("x").toString(), "--keys", "50");
    Result bf2 =
        ferry(
            "state",
            "generate",
            "--data",
            tmp.resolve("y").toString(),
            "--keys",
            "50",
            "--branch-factor",
            "2");
    assertThat(bf2.exitCode()).as(bf2.err()).isZero();
    assertThat(bf2.lastLine()).isNotEqualTo(bf16.lastLine());
    Result mismatch =
        withStdin(
            "{\"key\":\"01\",\"value\":\"02\"}\n",
            "state",
            "import",
            "--data",
            tmp.resolve("y").toString(),
            "--jsonl",
            "-",
            "--branch-factor",
            "16");
    assertThat(mismatch.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(mismatch.err()).contains("branch factor 2");
    Result bad =
        ferry(
            "state",
            "generate",
            "--data",
            tmp.resolve("z").toString(),
            "--keys",
            "5",
            "--branch-factor",
            "3");
    assertThat(bad.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
  }

  @Test
  void importGetAndDeleteThroughJsonLines() throws Exception {
    String dir = tmp.resolve("s").toString();
    Path file = tmp.resolve("in.jsonl");
    Files.writeString(
        file,
        "{\"key\":\"0a\",\"value\":\"01\"}\n\n{\"key\":\"0b\",\"value\":\"02\"}\n"
            + "{\"key\":\"\",\"value\":\"03\"}\n");
    Result imp = ferry("state", "import", "--data", dir, "--jsonl", file.toString());
    assertThat(imp.exitCode()).as(imp.err()).isZero();
    assertThat(imp.out()).contains("imported 3 puts and 0 deletes as height 1");
    Result get = ferry("state", "get", "--data", dir, "--key", "0b");
    assertThat(get.exitCode()).isZero();
    assertThat(get.out()).contains("value 02");
    assertThat(get.lastLine()).isEqualTo(imp.lastLine());

    Result del =
        withStdin(
            "{\"key\":\"0b\",\"value\":null}\n", "state", "import", "--data", dir, "--jsonl", "-");
    assertThat(del.exitCode()).as(del.err()).isZero();
    assertThat(del.lastLine()).isNotEqualTo(imp.lastLine());
    Result gone = ferry("state", "get", "--data", dir, "--key", "0b");
    assertThat(gone.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(gone.lastLine()).isEqualTo(del.lastLine());
  }

  @Test
  void badInputLeavesTheStoreUnchanged() {
    String dir = tmp.resolve("s").toString();
    Result first =
        withStdin(
            "{\"key\":\"01\",\"value\":\"aa\"}\n",
            "state",
            "import",
            "--data",
            dir,
            "--jsonl",
            "-");
    String root = first.lastLine();
    String[] bad = {
      "{\"key\":\"02\",\"value\":\"bb\"}\n{\"key\":\"zz\",\"value\":\"aa\"}\n",
      "{\"key\":\"02\",\"value\":\"bb\"}\nnot json\n",
      "{\"key\":\"02\"}\n",
      "[1,2]\n",
      "{\"key\":\"02\",\"value\":5}\n",
      "{\"key\":\"02\",\"value\":\"abc\"}\n",
    };
    for (String input : bad) {
      Result r = withStdin(input, "state", "import", "--data", dir, "--jsonl", "-");
      assertThat(r.exitCode()).as(input).isEqualTo(ExitCodes.BAD_INPUT);
      assertThat(r.err()).as(input).startsWith("ferry: line ").contains("nothing was imported");
    }
    Result after = ferry("state", "root", "--data", dir);
    assertThat(after.lastLine()).isEqualTo(root);
    assertThat(after.out()).contains("height 1");
    Result badHex = ferry("state", "get", "--data", dir, "--key", "xyz");
    assertThat(badHex.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
  }

  @Test
  void missingDirectoryOrFileIsNotFound() {
    Result r = ferry("state", "root", "--data", tmp.resolve("nothing").toString());
    assertThat(r.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(r.err()).contains("no state in");
    assertThat(tmp.resolve("nothing")).doesNotExist();
    Result f =
        ferry(
            "state",
            "import",
            "--data",
            tmp.resolve("s").toString(),
            "--jsonl",
            tmp.resolve("missing.jsonl").toString());
    assertThat(f.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
  }

  @Test
  void proofIsVerifiedAndWritten() throws Exception {
    String dir = tmp.resolve("s").toString();
    Result gen = ferry("state", "generate", "--data", dir, "--keys", "5000");
    Path out = tmp.resolve("proof.bin");
    Result p =
        ferry(
            "state",
            "proof",
            "--data",
            dir,
            "--start",
            "40",
            "--end",
            "80",
            "--key-limit",
            "100",
            "--out",
            out.toString());
    assertThat(p.exitCode()).as(p.err()).isZero();
    assertThat(p.out()).contains("100 key-values").contains("verified against the root");
    assertThat(p.lastLine()).isEqualTo(gen.lastLine());
    byte[] bytes = Files.readAllBytes(out);
    var decoded = io.ferry.wire.v1.RangeProof.parseFrom(bytes);
    assertThat(decoded.getKeyValuesCount()).isEqualTo(100);
    Result old =
        ferry("state", "proof", "--data", dir, "--root", "00".repeat(32), "--key-limit", "10");
    assertThat(old.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
  }

  @Test
  void getReadsFromExactlyOneOfDataAndNode() {
    String dir = tmp.resolve("s").toString();
    ferry("state", "generate", "--data", dir, "--keys", "10");
    Result both =
        ferry(
            "state",
            "get",
            "--data",
            dir,
            "--node",
            "http://127.0.0.1:1",
            "--key",
            "00",
            "--trust-producer",
            "x");
    assertThat(both.exitCode()).isEqualTo(ExitCodes.USAGE);
    Result neither = ferry("state", "get", "--key", "00");
    assertThat(neither.exitCode()).isEqualTo(ExitCodes.USAGE);
    Result untrusted = ferry("state", "get", "--node", "http://127.0.0.1:1", "--key", "00");
    assertThat(untrusted.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(untrusted.err()).contains("--trust-producer");
    Result localTrust =
        ferry(
            "state",
            "get",
            "--data",
            dir,
            "--key",
            "00",
            "--trust-producer",
            io.ferry.core.identity.NodeKey.generate().id().toString());
    assertThat(localTrust.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
    // Nobody listens there: unavailable, and no value printed.
    Result down =
        ferry(
            "state",
            "get",
            "--node",
            "127.0.0.1:1",
            "--key",
            "00",
            "--trust-producer",
            io.ferry.core.identity.NodeKey.generate().id().toString(),
            "--timeout",
            "5");
    assertThat(down.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(down.out()).isEmpty();
  }
}
