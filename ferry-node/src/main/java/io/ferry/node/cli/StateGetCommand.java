package io.ferry.node.cli;

import io.ferry.core.Bytes;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.StateSnapshot;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry state get}: one key's value, then the root it was read at. */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description = "Print a key's value as hex (exit 5 if absent), then the root.")
final class StateGetCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin StoreOptions store;

  @Option(names = "--key", required = true, paramLabel = "HEX", description = "The key, in hex.")
  String key;

  @Override
  public Integer call() {
    Bytes k = Bytes.fromHex(key);
    PrintWriter out = spec.commandLine().getOut();
    try (MerkleDB db = store.openExisting();
        StateSnapshot s = db.snapshot()) {
      Optional<Bytes> v = s.get(k);
      if (v.isPresent()) {
        out.println("value " + v.get().toHex());
      } else {
        spec.commandLine().getErr().println("ferry: key " + k + " is not in the state");
      }
      out.println(s.root().toHex());
      return v.isPresent() ? ExitCodes.OK : ExitCodes.NOT_FOUND;
    }
  }
}
