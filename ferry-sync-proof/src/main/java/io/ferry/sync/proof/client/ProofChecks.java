package io.ferry.sync.proof.client;

import io.ferry.core.FerryException;
import io.ferry.merkledb.proof.ProofError;
import io.ferry.merkledb.proof.ProofException;

/** Runs a proof check and tells whether the server lied. Stateless. */
final class ProofChecks {
  private ProofChecks() {}

  /**
   * Runs {@code check}; returns null if it passed, or why the proof is a lie. A failure of the
   * local store it reads ({@code IO_ERROR}, {@code CORRUPT_DATA}, {@code ILLEGAL_STATE}) is
   * rethrown, as the server is not to blame. Anything else the check throws is the proof's fault: a
   * proof odd enough to trip the verifier itself, even to overflow its stack, is still a lie.
   */
  static ProofException lie(Runnable check) {
    try {
      check.run();
      return null;
    } catch (ProofException e) {
      return e;
    } catch (FerryException e) {
      switch (e.code()) {
        case IO_ERROR, CORRUPT_DATA, ILLEGAL_STATE -> throw e;
        default -> {
          return new ProofException(ProofError.INVALID_PROOF_NODE, "proof check failed: " + e);
        }
      }
    } catch (RuntimeException | StackOverflowError e) {
      return new ProofException(ProofError.INVALID_PROOF_NODE, "proof check failed: " + e);
    }
  }
}
