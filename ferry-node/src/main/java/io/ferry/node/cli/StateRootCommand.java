package io.ferry.node.cli;

import io.ferry.merkledb.MerkleDB;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code ferry state root}: the head revision's height and root. */
@Command(
    name = "root",
    mixinStandardHelpOptions = true,
    description = "Print the height, then the root of the state.")
final class StateRootCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin StoreOptions store;

  @Override
  public Integer call() {
    try (MerkleDB db = store.openExisting()) {
      spec.commandLine().getOut().println("height " + db.height());
      spec.commandLine().getOut().println(db.root().toHex());
    }
    return ExitCodes.OK;
  }
}
