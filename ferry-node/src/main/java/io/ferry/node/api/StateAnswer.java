package io.ferry.node.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.proof.Proof;
import io.ferry.merkledb.proof.ProofCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * What {@code GET /v1/state/<hex key>} answers (docs/api.md): a key's value (hex) or null, the
 * single-key proof of it (merkledb's {@code Proof} message, protobuf in hex), and the signed head
 * whose root the proof is against. Nothing here is trusted by its reader until {@link
 * VerifiedRead#check} says so. Immutable.
 *
 * @param key the key asked for, hex
 * @param value its value, hex; null when the key is absent (the proof is then one of exclusion)
 * @param head the producer's signed head the proof is against
 * @param branchFactor the children per trie node of the node's store
 * @param proof the encoded proof, hex
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StateAnswer(
    String key,
    String value,
    Head head,
    @JsonProperty("branch_factor") int branchFactor,
    String proof) {

  /**
   * A signed head as text.
   *
   * @param producer the signer's node id (base58)
   * @param height its height
   * @param root the state root it vouches for, hex
   * @param signature the Ed25519 signature over {@code ferry/head/v1 || height || root}, hex
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Head(String producer, long height, String root, String signature) {
    public static Head of(SignedHead h) {
      return new Head(h.producer().toString(), h.height(), h.root().toHex(), h.signature().toHex());
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The answer for {@code proof} made from the state whose root {@code head} signed. */
  public static StateAnswer of(Proof proof, SignedHead head, BranchFactor bf) {
    return new StateAnswer(
        proof.key().toHex(),
        proof.value().map(Bytes::toHex).orElse(null),
        Head.of(head),
        bf.width(),
        Bytes.wrap(ProofCodec.encode(proof).toByteArray()).toHex());
  }

  public byte[] toJson() {
    try {
      return JSON.writeValueAsString(this).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a state answer does not encode", e);
    }
  }

  /**
   * Reads an answer's JSON.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} when it is not one
   */
  public static StateAnswer fromJson(byte[] json) {
    try {
      return JSON.readValue(json, StateAnswer.class);
    } catch (IOException e) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "the node's answer is not a state answer: " + e.getMessage());
    }
  }
}
