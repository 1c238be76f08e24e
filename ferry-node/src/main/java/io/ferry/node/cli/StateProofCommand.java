package io.ferry.node.cli;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.IoErrors;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry state proof}: a range proof, checked against the root before it is reported, and
 * optionally written in its protobuf form (AvalancheGo's sync.proto RangeProof).
 */
@Command(
    name = "proof",
    mixinStandardHelpOptions = true,
    description =
        "Build and verify a range proof for [start, end]; print a summary, then the root.")
final class StateProofCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin StoreOptions store;

  @Option(names = "--start", paramLabel = "HEX", description = "First key (default: unbounded).")
  String start;

  @Option(names = "--end", paramLabel = "HEX", description = "Last key (default: unbounded).")
  String end;

  @Option(names = "--root", paramLabel = "HEX", description = "A retained root (default: head).")
  String root;

  @Option(
      names = "--key-limit",
      paramLabel = "N",
      defaultValue = "" + Limits.DEFAULT_PROOF_KEY_LIMIT,
      description = "Most key-values (default ${DEFAULT-VALUE}).")
  int keyLimit;

  @Option(
      names = "--byte-limit",
      paramLabel = "B",
      defaultValue = "" + Limits.DEFAULT_PROOF_BYTE_LIMIT,
      description = "Most encoded bytes (default ${DEFAULT-VALUE}).")
  int byteLimit;

  @Option(names = "--out", paramLabel = "FILE", description = "Write the protobuf-encoded proof.")
  Path outFile;

  @Override
  public Integer call() throws IOException {
    KeyRange range =
        KeyRange.of(
            start == null ? null : Bytes.fromHex(start), end == null ? null : Bytes.fromHex(end));
    PrintWriter out = spec.commandLine().getOut();
    try (MerkleDB db = store.openExisting()) {
      Hash at = root == null ? db.root() : Hash.fromHex(root);
      // Clamp to the protocol's limits: a proof is built in memory.
      keyLimit = Math.min(keyLimit, Limits.MAX_PROOF_KEY_LIMIT);
      byteLimit = Math.min(byteLimit, Limits.MAX_PROOF_BYTES);
      RangeProof proof = db.rangeProof(at, range, keyLimit, byteLimit);
      byte[] encoded = ProofCodec.encode(proof).toByteArray();
      ProofVerifier.verifyRangeProof(proof, range, keyLimit, at, db.branchFactor());
      out.printf(
          "range proof for %s: %d key-values, %d start-proof and %d end-proof nodes, %d bytes%n",
          range,
          proof.keyValues().size(),
          proof.startProof().size(),
          proof.endProof().size(),
          encoded.length);
      if (!proof.keyValues().isEmpty()) {
        out.printf(
            "keys %s .. %s%n",
            proof.keyValues().get(0).key(),
            proof.keyValues().get(proof.keyValues().size() - 1).key());
      }
      if (outFile != null) {
        try {
          Files.write(outFile, encoded);
        } catch (IOException e) {
          throw IoErrors.cannotWrite(outFile, e);
        }
        out.println("wrote " + outFile);
      }
      out.println("verified against the root");
      out.println(at.toHex());
    }
    return ExitCodes.OK;
  }
}
