package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;

/**
 * The decompressed stream of an archive, as the tar reader consumes it, with a limit on how far it
 * may be read: the reader raises the limit entry by entry by what the manifest allows ({@link
 * #allow}), so an archive whose tar holds more than its manifest says (filler in an extended
 * header, a padded entry, data after the end) fails with {@link ErrorCode#LIMIT_EXCEEDED} at the
 * first byte over, having decompressed at most a buffer more. Skips count as reads. Not
 * thread-safe.
 */
final class DecompressionBudget extends FilterInputStream {
  private final byte[] scratch = new byte[8192];
  private long consumed;
  private long limit;
  private Supplier<String> where = () -> "";

  DecompressionBudget(InputStream in) {
    super(in);
  }

  /**
   * From here on, {@code bytes} more may be read; {@code where} names what is being read in the
   * error.
   */
  void allow(long bytes, Supplier<String> where) {
    this.limit = consumed + bytes;
    this.where = where;
  }

  /** Bytes read so far. */
  long consumed() {
    return consumed;
  }

  @Override
  public int read() throws IOException {
    int n = read(scratch, 0, 1);
    return n < 0 ? -1 : scratch[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    long room = limit - consumed;
    if (room <= 0) {
      // Over the limit only if there is more: the end of the stream is fine.
      if (in.read() < 0) {
        return -1;
      }
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          where.get()
              + ": the archive decompresses to more than its manifest allows here ("
              + limit
              + " bytes so far); refused");
    }
    int n = in.read(b, off, (int) Math.min(len, room));
    if (n > 0) {
      consumed += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = 0;
    while (skipped < n) {
      int got = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
      if (got < 0) {
        break;
      }
      skipped += got;
    }
    return skipped;
  }

  @Override
  public int available() throws IOException {
    return (int) Math.min(in.available(), Math.max(0, limit - consumed));
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public void mark(int readlimit) {}

  @Override
  public void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }
}
