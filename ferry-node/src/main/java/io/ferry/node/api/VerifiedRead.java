package io.ferry.node.api;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.proof.Proof;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.merkledb.proof.ProofVerifier;
import java.util.Objects;
import java.util.Optional;

/**
 * A key's value (or its absence) read from an untrusted node and checked: the head is signed by the
 * trusted producer, and the proof, rebuilt from the key and the proved value, reaches the head's
 * root. So the value is the one the producer's state held at that head's height. It says nothing
 * about freshness: a node may answer with an older head of the producer's (see docs/api.md).
 * Immutable.
 *
 * @param key the key read
 * @param value its proved value; empty when the proof shows it absent
 * @param head the trusted producer's head the proof reaches
 */
public record VerifiedRead(Bytes key, Optional<Bytes> value, SignedHead head) {
  public VerifiedRead {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(head, "head");
  }

  /**
   * Checks {@code answer} for {@code key} against {@code producer}: the signature, the signer, the
   * proof and the value the answer states.
   *
   * @param bf the branch factor the producer's store has: a reader that trusts a producer knows it
   *     (16 unless its network chose otherwise); an answer stating another is refused
   * @throws FerryException {@link ErrorCode#VERIFICATION_FAILED} when the head is not the
   *     producer's, its signature or the proof does not verify, or the answer's value or key is not
   *     the proved one; {@link ErrorCode#INVALID_ENCODING} when the answer is malformed
   */
  public static VerifiedRead check(
      StateAnswer answer, Bytes key, NodeId producer, BranchFactor bf) {
    if (answer.head() == null || answer.proof() == null || answer.key() == null) {
      throw malformed("it lacks the key, the head or the proof");
    }
    SignedHead head = head(answer.head());
    if (!head.producer().equals(producer)) {
      throw failed(
          "the answer's head is signed by " + head.producer() + ", not the trusted " + producer);
    }
    if (!head.verifies()) {
      throw failed(
          "the signature on head "
              + head.height()
              + " does not verify: it is not "
              + producer
              + "'s");
    }
    if (answer.branchFactor() != bf.width()) {
      throw failed(
          "the node's store has branch factor "
              + answer.branchFactor()
              + ", not "
              + bf.width()
              + " (pass --branch-factor if the producer's network uses that)");
    }
    if (!hex(answer.key(), "key").equals(key)) {
      throw failed("the answer is for key " + answer.key() + ", not " + key.toHex());
    }
    Proof proof;
    try {
      io.ferry.wire.v1.Proof wire =
          ProofCodec.parse(
              io.ferry.wire.v1.Proof::parseFrom,
              hex(answer.proof(), "proof").unsafeArray(),
              "proof");
      proof = ProofCodec.decode(wire, bf);
    } catch (FerryException e) {
      throw failed("the proof does not decode: " + e.getMessage());
    }
    if (!proof.key().equals(key)) {
      throw failed("the proof is of key " + proof.key().toHex() + ", not " + key.toHex());
    }
    try {
      ProofVerifier.verifyProof(proof, head.root(), bf);
    } catch (FerryException e) {
      throw failed(
          "the proof does not reach the root of head " + head.height() + ": " + e.getMessage());
    }
    Optional<Bytes> stated =
        answer.value() == null ? Optional.empty() : Optional.of(hex(answer.value(), "value"));
    if (!stated.equals(proof.value())) {
      throw failed(
          "the answer states "
              + stated.map(v -> "value " + v.toHex()).orElse("no value")
              + ", but the proof proves "
              + proof.value().map(v -> "value " + v.toHex()).orElse("none"));
    }
    return new VerifiedRead(key, proof.value(), head);
  }

  private static SignedHead head(StateAnswer.Head h) {
    if (h.producer() == null || h.root() == null || h.signature() == null) {
      throw malformed("its head lacks a field");
    }
    try {
      return new SignedHead(
          NodeId.parse(h.producer()),
          h.height(),
          Hash.fromHex(h.root()),
          hex(h.signature(), "signature"));
    } catch (FerryException e) {
      throw malformed("its head: " + e.getMessage());
    }
  }

  private static Bytes hex(String text, String what) {
    try {
      return Bytes.fromHex(text);
    } catch (FerryException e) {
      throw malformed("its " + what + " is not hex");
    }
  }

  private static FerryException failed(String why) {
    return new FerryException(ErrorCode.VERIFICATION_FAILED, "refused the node's answer: " + why);
  }

  private static FerryException malformed(String why) {
    return new FerryException(ErrorCode.INVALID_ENCODING, "the node's answer is malformed: " + why);
  }
}
