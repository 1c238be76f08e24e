package io.ferry.net.tls;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;

/**
 * A peer's TLS certificate did not prove a Ferry node identity; {@link #reason()} says exactly why.
 * The error code is {@link ErrorCode#PERMISSION_DENIED} when the certificate is sound but names a
 * node other than the one expected, and {@link ErrorCode#VERIFICATION_FAILED} otherwise.
 */
public final class PeerCertificateException extends FerryException {
  private static final long serialVersionUID = 1L;

  /** Why a certificate was rejected. Each maps to one rule of the libp2p TLS handshake spec. */
  public enum Reason {
    /** The peer sent no certificate, or more than one. */
    CHAIN_LENGTH,
    /** The bytes are not a DER X.509 v3 certificate. */
    MALFORMED_CERTIFICATE,
    /** The current time is before the certificate's NotBefore. */
    NOT_YET_VALID,
    /** The current time is after the certificate's NotAfter. */
    EXPIRED,
    /** The certificate carries the deprecated issuerUniqueID or subjectUniqueID field. */
    UNIQUE_ID_PRESENT,
    /** The self-signature uses an algorithm outside the allowed set (for example SHA-1, RSA). */
    UNSUPPORTED_SIGNATURE_ALGORITHM,
    /** The certificate key is not Ed25519 or ECDSA on a named curve (P-256, P-384, P-521). */
    UNSUPPORTED_CERTIFICATE_KEY,
    /** The certificate's signature does not verify under its own public key. */
    BAD_SELF_SIGNATURE,
    /** A critical extension other than the libp2p public key extension is present. */
    UNKNOWN_CRITICAL_EXTENSION,
    /** The libp2p public key extension (1.3.6.1.4.1.53594.1.1) is absent. */
    MISSING_EXTENSION,
    /** The extension is not a DER SignedKey holding a protobuf PublicKey. */
    MALFORMED_EXTENSION,
    /** The extension names a host key type other than Ed25519 (RSA, secp256k1, ECDSA). */
    UNSUPPORTED_KEY_TYPE,
    /** The host key's signature over the certificate's SubjectPublicKeyInfo does not verify. */
    BAD_KEY_SIGNATURE,
    /** A valid certificate, but for a node other than the one that was dialled. */
    UNEXPECTED_PEER
  }

  private final Reason reason;

  public PeerCertificateException(Reason reason, String message) {
    this(reason, message, null);
  }

  public PeerCertificateException(Reason reason, String message, Throwable cause) {
    super(codeOf(reason), reason + ": " + message, cause);
    this.reason = reason;
  }

  private static ErrorCode codeOf(Reason reason) {
    return reason == Reason.UNEXPECTED_PEER
        ? ErrorCode.PERMISSION_DENIED
        : ErrorCode.VERIFICATION_FAILED;
  }

  public Reason reason() {
    return reason;
  }
}
