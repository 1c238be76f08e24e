package io.ferry.bench;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A torrent's info hash: the SHA-1 of the bencoded value of the {@code info} key of its top-level
 * dictionary, byte for byte as the file holds it (BEP 3). The benchmark's tracker is Debian's
 * opentracker, built to serve only the info hashes on its whitelist, so the benchmark computes the
 * hash of the torrent it made to list it there.
 *
 * <p>Reads only as much bencode as it takes to find that value's bounds; anything malformed is an
 * {@link IllegalArgumentException}.
 */
final class InfoHash {
  private static final byte[] INFO = "info".getBytes(StandardCharsets.US_ASCII);

  private InfoHash() {}

  /** The 20-byte info hash of a .torrent file's bytes. */
  static byte[] of(byte[] torrent) {
    if (torrent.length == 0 || torrent[0] != 'd') {
      throw new IllegalArgumentException("a torrent is a bencoded dictionary");
    }
    int at = 1;
    while (at < torrent.length && torrent[at] != 'e') {
      int keyStart = stringStart(torrent, at);
      int keyEnd = skip(torrent, at);
      int valueEnd = skip(torrent, keyEnd);
      if (Arrays.equals(torrent, keyStart, keyEnd, INFO, 0, INFO.length)) {
        return sha1(Arrays.copyOfRange(torrent, keyEnd, valueEnd));
      }
      at = valueEnd;
    }
    throw new IllegalArgumentException("the torrent has no info dictionary");
  }

  /** {@link #of} in lower-case hex, as opentracker's whitelist lists it. */
  static String hex(byte[] torrent) {
    return HexFormat.of().formatHex(of(torrent));
  }

  /** Where the bytes of the string at {@code at} start (after its {@code LENGTH:}). */
  private static int stringStart(byte[] b, int at) {
    if (at >= b.length || b[at] < '0' || b[at] > '9') {
      throw new IllegalArgumentException("a dictionary key is not a string at byte " + at);
    }
    int colon = at;
    while (colon < b.length && b[colon] != ':') {
      colon++;
    }
    if (colon == b.length) {
      throw new IllegalArgumentException("the torrent ends inside a key");
    }
    return colon + 1;
  }

  /** The index just past the bencoded value that starts at {@code at}. */
  private static int skip(byte[] b, int at) {
    if (at >= b.length) {
      throw new IllegalArgumentException("the torrent ends inside a value");
    }
    byte c = b[at];
    if (c == 'i') {
      return indexOf(b, (byte) 'e', at + 1) + 1;
    }
    if (c == 'l' || c == 'd') {
      int i = at + 1;
      while (i < b.length && b[i] != 'e') {
        i = skip(b, i);
      }
      if (i >= b.length) {
        throw new IllegalArgumentException("a list or dictionary is not closed");
      }
      return i + 1;
    }
    if (c >= '0' && c <= '9') {
      int colon = indexOf(b, (byte) ':', at);
      long length = Long.parseLong(new String(b, at, colon - at, StandardCharsets.US_ASCII), 10);
      if (length > b.length - colon - 1) {
        throw new IllegalArgumentException("a string runs past the end of the torrent");
      }
      return colon + 1 + (int) length;
    }
    throw new IllegalArgumentException("not bencode at byte " + at + ": " + (char) c);
  }

  private static int indexOf(byte[] b, byte x, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    throw new IllegalArgumentException("the torrent ends inside a value");
  }

  private static byte[] sha1(byte[] bytes) {
    try {
      // SHA-1 because BitTorrent v1 names a torrent by it, not for any security here.
      return MessageDigest.getInstance("SHA-1").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }
}
