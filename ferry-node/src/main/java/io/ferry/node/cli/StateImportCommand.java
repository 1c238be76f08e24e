package io.ferry.node.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.IoErrors;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry state import}: applies a JSON-lines file of puts and deletes as one revision. The
 * whole file is parsed and checked before anything is written, so bad input leaves the store
 * unchanged.
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = {
      "Apply {\"key\":\"<hex>\",\"value\":\"<hex>\"} lines as one commit;",
      "\"value\": null deletes the key."
    })
final class StateImportCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin StoreOptions store;

  @Option(
      names = "--jsonl",
      required = true,
      paramLabel = "FILE",
      description = "JSON-lines file, or - for standard input.")
  String jsonl;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  @Override
  public Integer call() throws IOException {
    Batch batch = new Batch();
    int puts = 0;
    int deletes = 0;
    try (BufferedReader in = open()) {
      String line;
      int n = 0;
      while ((line = readLine(in, n + 1)) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        KeyChange change = parseLine(line, n);
        try {
          batch.set(change.key(), change.value());
        } catch (FerryException e) {
          throw bad(n, e.getMessage());
        }
        if (change.isDelete()) {
          deletes++;
        } else {
          puts++;
        }
      }
    }
    Revision rev;
    try (MerkleDB db = store.open()) {
      rev = db.commit(batch);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf("imported %d puts and %d deletes as height %d%n", puts, deletes, rev.height());
    out.println(rev.root().toHex());
    return ExitCodes.OK;
  }

  private static String readLine(BufferedReader in, int n) throws IOException {
    try {
      return in.readLine();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw bad(n, "not UTF-8 text");
    }
  }

  private BufferedReader open() throws IOException {
    if (jsonl.equals("-")) {
      return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    }
    Path file = FileChecks.readableFile(Path.of(jsonl));
    try {
      return Files.newBufferedReader(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw IoErrors.cannotRead(file, e);
    }
  }

  private static KeyChange parseLine(String line, int n) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw bad(n, "not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw bad(n, "expected an object {\"key\": ..., \"value\": ...}");
    }
    JsonNode k = node.get("key");
    if (k == null || !k.isTextual()) {
      throw bad(n, "\"key\" must be a hex string");
    }
    if (!node.has("value")) {
      throw bad(n, "\"value\" is missing (use null to delete)");
    }
    JsonNode v = node.get("value");
    if (!v.isNull() && !v.isTextual()) {
      throw bad(n, "\"value\" must be a hex string or null");
    }
    try {
      Optional<Bytes> value =
          v.isNull() ? Optional.empty() : Optional.of(Bytes.fromHex(v.asText()));
      return new KeyChange(Bytes.fromHex(k.asText()), value);
    } catch (FerryException e) {
      throw bad(n, e.getMessage());
    }
  }

  private static FerryException bad(int line, String why) {
    return new FerryException(
        ErrorCode.INVALID_ENCODING, "line " + line + ": " + why + "; nothing was imported");
  }
}
