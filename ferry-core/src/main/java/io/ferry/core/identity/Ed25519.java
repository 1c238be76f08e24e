package io.ferry.core.identity;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * Ed25519 through the JDK's provider, with keys in their raw 32-byte forms. Package-private: the
 * public faces are {@link NodeKey} and {@link NodeId}.
 */
final class Ed25519 {
  static final int SEED_LENGTH = 32;
  static final int SIGNATURE_LENGTH = 64;

  // DER prefixes of RFC 8410 encodings: SubjectPublicKeyInfo and PKCS#8 PrivateKeyInfo.
  private static final byte[] X509_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };
  private static final byte[] PKCS8_PREFIX = {
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20
  };

  private Ed25519() {}

  /** A key pair from a 32-byte seed (the RFC 8032 private key). */
  static KeyPair fromSeed(byte[] seed) {
    if (seed.length != SEED_LENGTH) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "an Ed25519 seed is 32 bytes");
    }
    try {
      // The JDK has no public "derive public key" call; its generator draws exactly the 32 seed
      // bytes from the random source it is given, so a source that yields the seed derives it.
      KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
      generator.initialize(255, new FixedBytes(seed));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new FerryException(ErrorCode.INTERNAL, "the JDK has no Ed25519", e);
    }
  }

  static byte[] newSeed(SecureRandom random) {
    byte[] seed = new byte[SEED_LENGTH];
    random.nextBytes(seed);
    return seed;
  }

  static byte[] rawPublicKey(PublicKey key) {
    byte[] encoded = key.getEncoded();
    return Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
  }

  static byte[] pkcs8(byte[] seed) {
    byte[] out = Arrays.copyOf(PKCS8_PREFIX, PKCS8_PREFIX.length + SEED_LENGTH);
    System.arraycopy(seed, 0, out, PKCS8_PREFIX.length, SEED_LENGTH);
    return out;
  }

  /** The seed inside an RFC 8410 PKCS#8 encoding, or an error if it is not one. */
  static byte[] seedFromPkcs8(byte[] der) {
    if (der.length != PKCS8_PREFIX.length + SEED_LENGTH
        || !Arrays.equals(der, 0, PKCS8_PREFIX.length, PKCS8_PREFIX, 0, PKCS8_PREFIX.length)) {
      throw new FerryException(
          ErrorCode.CORRUPT_DATA, "not an Ed25519 PKCS#8 private key (" + der.length + " bytes)");
    }
    return Arrays.copyOfRange(der, PKCS8_PREFIX.length, der.length);
  }

  static byte[] sign(PrivateKey key, byte[] message) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(key);
      signer.update(message);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new FerryException(ErrorCode.INTERNAL, "Ed25519 signing failed", e);
    }
  }

  static boolean verify(byte[] rawPublicKey, byte[] message, byte[] signature) {
    if (signature.length != SIGNATURE_LENGTH) {
      return false;
    }
    try {
      byte[] encoded = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + 32);
      System.arraycopy(rawPublicKey, 0, encoded, X509_PREFIX.length, 32);
      PublicKey key =
          KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(encoded));
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(key);
      verifier.update(message);
      return verifier.verify(signature);
    } catch (SignatureException
        | java.security.InvalidKeyException
        | java.security.spec.InvalidKeySpecException e) {
      return false; // a malformed key or signature is simply not a valid signature
    } catch (GeneralSecurityException e) {
      throw new FerryException(ErrorCode.INTERNAL, "the JDK has no Ed25519", e);
    }
  }

  static PrivateKey privateKey(byte[] seed) {
    try {
      return KeyFactory.getInstance("Ed25519")
          .generatePrivate(new PKCS8EncodedKeySpec(pkcs8(seed)));
    } catch (GeneralSecurityException e) {
      throw new FerryException(ErrorCode.CORRUPT_DATA, "not a usable Ed25519 private key", e);
    }
  }

  /** A random source that yields one fixed byte string, then fails. */
  private static final class FixedBytes extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final byte[] bytes;
    private boolean used;

    FixedBytes(byte[] bytes) {
      this.bytes = bytes.clone();
    }

    @Override
    public void nextBytes(byte[] out) {
      if (used || out.length != bytes.length) {
        throw new IllegalStateException("seed source used in an unexpected way");
      }
      System.arraycopy(bytes, 0, out, 0, out.length);
      used = true;
    }
  }
}
