package io.ferry.core.identity;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A node's private identity: an Ed25519 key pair. Its {@link #id()} is what peers authenticate;
 * {@link #sign} produces signatures any holder of the id can check.
 *
 * <p>Immutable and thread-safe. Persist it with {@link KeyFile}.
 */
public final class NodeKey {
  private final byte[] seed;
  private final PrivateKey privateKey;
  private final NodeId id;

  private NodeKey(byte[] seed) {
    KeyPair pair = Ed25519.fromSeed(seed);
    this.seed = seed.clone();
    this.privateKey = pair.getPrivate();
    this.id = NodeId.of(Ed25519.rawPublicKey(pair.getPublic()));
  }

  /** A fresh key from the system's strong random source. */
  public static NodeKey generate() {
    return generate(new SecureRandom());
  }

  public static NodeKey generate(SecureRandom random) {
    return new NodeKey(Ed25519.newSeed(random));
  }

  /** The key for a 32-byte RFC 8032 seed: the same seed always gives the same key. */
  public static NodeKey fromSeed(byte[] seed) {
    return new NodeKey(seed);
  }

  public NodeId id() {
    return id;
  }

  /** A 64-byte Ed25519 signature over {@code message}. */
  public byte[] sign(byte[] message) {
    return Ed25519.sign(privateKey, message);
  }

  /** The JDK private key, for TLS and certificate code. */
  public PrivateKey privateKey() {
    return privateKey;
  }

  /** The RFC 8410 PKCS#8 DER encoding of the private key. */
  public byte[] toPkcs8() {
    return Ed25519.pkcs8(seed);
  }

  static NodeKey fromPkcs8(byte[] der) {
    return new NodeKey(Ed25519.seedFromPkcs8(der));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NodeKey k && Arrays.equals(seed, k.seed);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  /** Names the public id only; the private key never appears in logs. */
  @Override
  public String toString() {
    return "NodeKey(" + id + ")";
  }
}
