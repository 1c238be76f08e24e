package io.ferry.net.tls;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.identity.NodeId;
import io.ferry.net.tls.PeerCertificateException.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The libp2p protobuf {@code PublicKey { required KeyType Type = 1; required bytes Data = 2; }}
 * that names a host key inside the certificate extension. Ferry node ids are Ed25519 keys, so only
 * that type converts to a {@link NodeId}; the other types are recognised only to reject them with a
 * clear reason.
 */
record HostPublicKey(int type, byte[] data) {
  static final int RSA = 0;
  static final int ED25519 = 1;
  static final int SECP256K1 = 2;
  static final int ECDSA = 3;

  private static final int TYPE_TAG = 1 << 3; // field 1, varint
  private static final int DATA_TAG = (2 << 3) | 2; // field 2, length-delimited

  static HostPublicKey ed25519(NodeId id) {
    return new HostPublicKey(ED25519, id.publicKey());
  }

  /** The protobuf encoding: Type first, then Data, as libp2p writes it. */
  byte[] encode() {
    byte[] out =
        new byte
            [CodedOutputStream.computeEnumSize(1, type)
                + CodedOutputStream.computeByteArraySize(2, data)];
    CodedOutputStream stream = CodedOutputStream.newInstance(out);
    try {
      stream.writeEnum(1, type);
      stream.writeByteArray(2, data);
      stream.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to an exactly sized array cannot fail", e);
    }
    return out;
  }

  /**
   * Parses the protobuf. Unknown fields are skipped, as protobuf readers (and libp2p's) do; both
   * required fields must be present.
   */
  static HostPublicKey decode(byte[] bytes) {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    Integer type = null;
    byte[] data = null;
    try {
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (tag == TYPE_TAG) {
          type = in.readEnum();
        } else if (tag == DATA_TAG) {
          data = in.readByteArray();
        } else if (!in.skipField(tag)) {
          throw malformed("an end-group tag outside any group");
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new PeerCertificateException(
          Reason.MALFORMED_EXTENSION, "the host key is not a protobuf PublicKey", e);
    } catch (IOException e) {
      throw new UncheckedIOException("reading from an array cannot fail", e);
    }
    if (type == null || data == null) {
      throw malformed("the host key lacks its required " + (type == null ? "Type" : "Data"));
    }
    return new HostPublicKey(type, data);
  }

  /** The node id this key names, if it is an Ed25519 key. */
  NodeId toNodeId() {
    if (type != ED25519) {
      throw new PeerCertificateException(
          Reason.UNSUPPORTED_KEY_TYPE,
          "unsupported key type "
              + typeName(type)
              + ": Ferry node ids are Ed25519 keys, so only Ed25519 host keys are accepted");
    }
    if (data.length != NodeId.LENGTH) {
      throw malformed(
          "an Ed25519 host key is " + NodeId.LENGTH + " bytes, got " + data.length + " bytes");
    }
    return NodeId.of(data);
  }

  static String typeName(int type) {
    return switch (type) {
      case RSA -> "RSA";
      case ED25519 -> "Ed25519";
      case SECP256K1 -> "Secp256k1";
      case ECDSA -> "ECDSA";
      default -> "unknown (" + type + ")";
    };
  }

  private static PeerCertificateException malformed(String message) {
    return new PeerCertificateException(Reason.MALFORMED_EXTENSION, message);
  }
}
