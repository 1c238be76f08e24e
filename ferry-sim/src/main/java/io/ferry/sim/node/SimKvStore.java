package io.ferry.sim.node;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.merkledb.store.SortedWriter;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreSnapshot;
import io.ferry.merkledb.store.WriteBatch;
import io.ferry.sim.SimDisk;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A {@link KvStore} on a simulated node's {@link SimDisk}, kept the way RocksDB keeps its data: a
 * write-ahead log of batches ({@code <prefix>log/<sequence>}, each with a length and a CRC) that is
 * folded into a checkpoint ({@code <prefix>checkpoint}) every {@link #CHECKPOINT_EVERY} batches.
 * With {@code syncWrites} each batch is synced before {@link #write} returns; without it, a crash
 * may lose the newest batches or tear the oldest lost one, and opening the store again stops at the
 * first record that does not check out, as RocksDB's recovery drops a corrupt log tail. A batch is
 * never half applied.
 *
 * <p>A {@link #truncate} is logged as a delete of the whole column and folded into a checkpoint at
 * once, so the log that held the column's keys is gone, as RocksDB frees a dropped column family's
 * files and log.
 *
 * <p>Reads come from memory, rebuilt from the disk when the store is opened. Single-threaded, like
 * the simulator.
 */
public final class SimKvStore implements KvStore {
  /** Batches between two checkpoints. */
  static final int CHECKPOINT_EVERY = 256;

  private final SimDisk disk;
  private final String prefix;
  private final boolean syncWrites;
  private final MemoryStore memory = new MemoryStore();
  private long nextRecord;
  private long sinceCheckpoint;
  private boolean closed;

  /** Opens the store {@code disk} holds under {@code prefix}, empty if it holds none. */
  public SimKvStore(SimDisk disk, String prefix, boolean syncWrites) {
    this.disk = disk;
    this.prefix = prefix;
    this.syncWrites = syncWrites;
    disk.get(prefix + "checkpoint").ifPresent(c -> memory.write(decode(c, "checkpoint")));
    boolean intact = true;
    for (Map.Entry<String, ByteString> e : disk.list(prefix + "log/").entrySet()) {
      WriteBatch batch = intact ? decodeOrNull(e.getValue()) : null;
      if (batch == null) {
        intact = false;
        disk.remove(e.getKey()); // a torn or orphaned tail: never replayed
        continue;
      }
      memory.write(batch);
      nextRecord = sequence(e.getKey()) + 1;
      sinceCheckpoint++;
    }
  }

  /**
   * Moves the closed store {@code disk} holds under {@code from} to {@code to}, where there is
   * none: what renaming a RocksDB directory does. Each file is written durably under its new name
   * before the old one is removed.
   */
  public static void move(SimDisk disk, String from, String to) {
    if (!disk.list(to).isEmpty()) {
      throw new FerryException(ErrorCode.IO_ERROR, "a store exists already under " + to);
    }
    for (Map.Entry<String, ByteString> e : java.util.List.copyOf(disk.list(from).entrySet())) {
      disk.put(to + e.getKey().substring(from.length()), e.getValue());
      disk.remove(e.getKey());
    }
  }

  /** Removes every store {@code disk} holds under {@code prefix}. */
  public static void delete(SimDisk disk, String prefix) {
    for (String key : java.util.List.copyOf(disk.list(prefix).keySet())) {
      disk.remove(key);
    }
  }

  @Override
  public byte[] get(Column column, byte[] key) {
    checkOpen();
    return memory.get(column, key);
  }

  @Override
  public StoreIterator scan(Column column, byte[] from, byte[] to) {
    checkOpen();
    return memory.scan(column, from, to);
  }

  @Override
  public StoreSnapshot snapshot() {
    checkOpen();
    return memory.snapshot();
  }

  @Override
  public void write(WriteBatch batch) {
    checkOpen();
    String key = prefix + "log/" + String.format("%019d", nextRecord++);
    ByteString record = encode(batch);
    disk.write(key, record);
    if (syncWrites) {
      disk.sync();
    }
    memory.write(batch);
    if (++sinceCheckpoint >= CHECKPOINT_EVERY) {
      checkpoint();
    }
  }

  @Override
  public boolean syncWrites() {
    return syncWrites;
  }

  /** Syncs the disk, so that every batch written so far survives a crash. */
  @Override
  public void sync() {
    checkOpen();
    disk.sync();
  }

  @Override
  public long estimateKeys(Column column) {
    checkOpen();
    return memory.estimateKeys(column);
  }

  @Override
  public void truncate(Column column) {
    checkOpen();
    write(new WriteBatch().deleteFrom(column, new byte[0]));
    checkpoint();
  }

  @Override
  public SortedWriter sortedWriter(Column column) {
    checkOpen();
    WriteBatch batch = new WriteBatch();
    return new SortedWriter() {
      @Override
      public void put(byte[] key, byte[] value) {
        batch.put(column, key, value);
      }

      @Override
      public void commit() {
        write(batch);
        disk.sync(); // an ingested file is durable once ingested
      }

      @Override
      public void close() {}
    };
  }

  /** Folds the log into one durable checkpoint of every column. */
  private void checkpoint() {
    disk.sync();
    WriteBatch all = new WriteBatch();
    for (Column c : memory.columns()) {
      try (StoreIterator it = memory.scan(c, null, null)) {
        while (it.next()) {
          all.put(c, it.key(), it.value());
        }
      }
    }
    disk.put(prefix + "checkpoint", encode(all));
    for (String key : java.util.List.copyOf(disk.list(prefix + "log/").keySet())) {
      disk.remove(key);
    }
    sinceCheckpoint = 0;
  }

  @Override
  public void close() {
    closed = true;
  }

  private void checkOpen() {
    if (closed) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "the store " + prefix + " is closed");
    }
  }

  private static long sequence(String key) {
    return Long.parseLong(key.substring(key.lastIndexOf('/') + 1));
  }

  // A record: length (4 bytes), the ops, CRC32 of the ops (8 bytes). An op: its column (name and
  // whether small), its kind (0 put, 1 delete, 2 range delete, 3 delete to the end), its bytes.
  private static ByteString encode(WriteBatch batch) {
    try {
      ByteArrayOutputStream ops = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(ops);
      out.writeInt(batch.size());
      for (WriteBatch.Op op : batch.ops()) {
        out.writeUTF(op.column().familyName());
        out.writeBoolean(op.column().small());
        switch (op) {
          case WriteBatch.Put p -> {
            out.writeByte(0);
            writeBytes(out, p.key());
            writeBytes(out, p.value());
          }
          case WriteBatch.Delete d -> {
            out.writeByte(1);
            writeBytes(out, d.key());
          }
          case WriteBatch.DeleteRange r when r.to() != null -> {
            out.writeByte(2);
            writeBytes(out, r.from());
            writeBytes(out, r.to());
          }
          case WriteBatch.DeleteRange r -> {
            out.writeByte(3);
            writeBytes(out, r.from());
          }
        }
      }
      out.flush();
      byte[] body = ops.toByteArray();
      CRC32 crc = new CRC32();
      crc.update(body);
      ByteArrayOutputStream record = new ByteArrayOutputStream(body.length + 12);
      DataOutputStream r = new DataOutputStream(record);
      r.writeInt(body.length);
      r.write(body);
      r.writeLong(crc.getValue());
      r.flush();
      return ByteString.copyFrom(record.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  private static WriteBatch decode(ByteString record, String what) {
    WriteBatch b = decodeOrNull(record);
    if (b == null) {
      throw new FerryException(ErrorCode.CORRUPT_DATA, "the store's " + what + " does not decode");
    }
    return b;
  }

  /** The batch in {@code record}, or null when it is torn or corrupt. */
  private static WriteBatch decodeOrNull(ByteString record) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(record.toByteArray()));
      int length = in.readInt();
      if (length < 4 || length > record.size() - 12) {
        return null;
      }
      byte[] body = new byte[length];
      in.readFully(body);
      CRC32 crc = new CRC32();
      crc.update(body);
      if (in.readLong() != crc.getValue()) {
        return null;
      }
      DataInputStream ops = new DataInputStream(new ByteArrayInputStream(body));
      WriteBatch batch = new WriteBatch();
      int n = ops.readInt();
      for (int i = 0; i < n; i++) {
        Column column = new Column(ops.readUTF(), ops.readBoolean());
        int kind = ops.readUnsignedByte();
        byte[] key = readBytes(ops);
        switch (kind) {
          case 0 -> batch.put(column, key, readBytes(ops));
          case 1 -> batch.delete(column, key);
          case 2 -> batch.deleteRange(column, key, readBytes(ops));
          case 3 -> batch.deleteFrom(column, key);
          default -> {
            return null;
          }
        }
      }
      return batch;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > in.available()) {
      throw new IOException("bad length " + n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
