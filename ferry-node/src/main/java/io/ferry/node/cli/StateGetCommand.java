package io.ferry.node.cli;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.node.api.StateAnswer;
import io.ferry.node.api.StateClient;
import io.ferry.node.api.VerifiedRead;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry state get}: one key's value, then the root it was read at; from the local store
 * ({@code --data}), or from a node over HTTP ({@code --node}), whose answer is believed only once
 * its proof and the trusted producer's signature on its head check out (docs/api.md).
 */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description = {
      "Print a key's value as hex (exit 5 if absent), then the root.",
      "With --node, read it from a node's HTTP port and print it only after checking its proof"
          + " against a head signed by --trust-producer (exit 4 if anything does not verify)."
    })
final class StateGetCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  /** Where the value comes from: exactly one. */
  static final class Source {
    @Option(
        names = "--data",
        required = true,
        paramLabel = "DIR",
        description = "Data directory; the state lives in DIR/state.")
    Path data;

    @Option(
        names = "--node",
        required = true,
        paramLabel = "URL",
        description = "A node's HTTP port (http://HOST:PORT): a verified read.")
    String node;
  }

  @Option(names = "--key", required = true, paramLabel = "HEX", description = "The key, in hex.")
  String key;

  @Option(
      names = "--trust-producer",
      paramLabel = "ID",
      description = "With --node: the producer whose signed head the proof must reach.")
  String trustProducer;

  @Option(
      names = "--branch-factor",
      paramLabel = "N",
      description = "With --node: children per trie node of the producer's store (default 16).")
  Integer branchFactor;

  @Option(
      names = "--timeout",
      paramLabel = "S",
      defaultValue = "30",
      description = "With --node: seconds to wait for the node (default ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Override
  public Integer call() {
    Bytes k = Bytes.fromHex(key);
    if (source.node != null) {
      return remote(k);
    }
    if (trustProducer != null || branchFactor != null) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "--trust-producer and --branch-factor go with --node; --data reads the local store");
    }
    StoreOptions store = new StoreOptions();
    store.data = source.data;
    try (MerkleDB db = store.openExisting();
        StateSnapshot s = db.snapshot()) {
      return print(k, s.get(k), s.root().toHex(), "");
    }
  }

  private int remote(Bytes k) {
    if (trustProducer == null) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "--node needs --trust-producer ID: a node's answer is believed only when that"
              + " producer's signature covers it");
    }
    if (timeoutSeconds < 1) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "--timeout must be at least 1");
    }
    NodeId producer = NodeId.parse(trustProducer);
    BranchFactor bf = BranchFactor.of(branchFactor == null ? 16 : branchFactor);
    URI node = StateClient.baseUrl(source.node);
    StateAnswer answer = new StateClient(Duration.ofSeconds(timeoutSeconds)).fetch(node, k);
    VerifiedRead read = VerifiedRead.check(answer, k, producer, bf);
    spec.commandLine()
        .getErr()
        .println(
            "proved against head "
                + read.head().height()
                + " signed by "
                + read.head().producer()
                + " (served by "
                + node
                + ")");
    return print(k, read.value(), read.head().root().toHex(), " at that head");
  }

  private int print(Bytes k, Optional<Bytes> v, String root, String where) {
    PrintWriter out = spec.commandLine().getOut();
    if (v.isPresent()) {
      out.println("value " + v.get().toHex());
    } else {
      spec.commandLine().getErr().println("ferry: key " + k + " is not in the state" + where);
    }
    out.println(root);
    return v.isPresent() ? ExitCodes.OK : ExitCodes.NOT_FOUND;
  }
}
