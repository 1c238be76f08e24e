package io.ferry.node.cli;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.MerkleDB;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --data} and {@code --branch-factor} options, and opening the store they name. */
final class StoreOptions {
  @Option(
      names = "--data",
      required = true,
      paramLabel = "DIR",
      description = "Data directory; the state lives in DIR/state.")
  Path data;

  @Option(
      names = "--branch-factor",
      paramLabel = "N",
      description = "Children per trie node for a new store: 2, 4, 16 or 256 (default 16).")
  Integer branchFactor;

  Path stateDir() {
    return data.resolve("state");
  }

  /** Opens the store, which must exist already. */
  MerkleDB openExisting() {
    if (!Files.isRegularFile(stateDir().resolve("CURRENT"))) {
      throw new FerryException(
          ErrorCode.NOT_FOUND, "no state in " + data + " (expected a store in " + stateDir() + ")");
    }
    return open();
  }

  /** Opens the store, creating it (with --branch-factor) if it does not exist. */
  MerkleDB open() {
    return io.ferry.node.NodeStores.open(stateDir(), branchFactor);
  }
}
