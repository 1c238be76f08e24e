package io.ferry.sim.node;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.sim.SimDisk;
import io.ferry.sync.proof.client.CompletedRange;
import io.ferry.sync.proof.client.MemorySyncStore;
import io.ferry.sync.proof.client.SyncStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link MemorySyncStore} kept on a simulated node's {@link SimDisk}, so it survives a crash the
 * way a real store's files do: every {@link #apply} writes its key-values and the new progress
 * through to the disk (in one step, as the simulator runs one task at a time), and a new
 * incarnation opens the store by decoding the disk, not by reusing the dead incarnation's objects.
 *
 * <p>It also checks what the sync stores: the key ranges its progress covers never shrink (a range
 * the store holds data for stays listed, at the target or at an older root, until the sync ends),
 * since a range left out would be fetched again after a restart. An {@link #apply} that would
 * shrink them throws, which fails the simulation.
 *
 * <p>Layout: {@code <prefix>kv/<hex key>} holds a staged value, {@code <prefix>progress} the target
 * and the completed ranges.
 */
public final class SimDiskSyncStore implements SyncStore {
  private final SimDisk disk;
  private final String prefix;
  private final MemorySyncStore memory = new MemorySyncStore();

  /** Opens the store {@code disk} holds under {@code prefix}, empty if it holds none. */
  public SimDiskSyncStore(SimDisk disk, String prefix) {
    this.disk = disk;
    this.prefix = prefix;
    Optional<ByteString> progress = disk.get(prefix + "progress");
    if (progress.isPresent()) {
      List<KeyChange> staged = new ArrayList<>();
      for (Map.Entry<String, ByteString> e : disk.list(prefix + "kv/").entrySet()) {
        Bytes key = Bytes.fromHex(e.getKey().substring(prefix.length() + 3));
        staged.add(new KeyChange(key, Optional.of(Bytes.wrap(e.getValue().toByteArray()))));
      }
      Progress p = decode(progress.get());
      memory.apply(Optional.empty(), staged, p.target(), p.ranges());
    }
  }

  /** The progress a store on {@code disk} holds now, without opening it. */
  public static Optional<Progress> progressOn(SimDisk disk, String prefix) {
    return disk.get(prefix + "progress").map(SimDiskSyncStore::decode);
  }

  /** What a store records besides its data. */
  public record Progress(Hash target, List<CompletedRange> ranges) {}

  @Override
  public Optional<Hash> target() {
    return memory.target();
  }

  @Override
  public List<CompletedRange> progress() {
    return memory.progress();
  }

  @Override
  public void apply(
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      Hash target,
      List<CompletedRange> progress) {
    if (replace.isPresent()) {
      for (KeyValue kv : memory.scan(replace.get())) {
        disk.remove(kvKey(kv.key()));
      }
    }
    for (KeyChange c : changes) {
      if (c.value().isPresent()) {
        disk.put(kvKey(c.key()), ByteString.copyFrom(c.value().get().unsafeArray()));
      } else {
        disk.remove(kvKey(c.key()));
      }
    }
    String lost = Coverage.lost(memory.progress(), progress);
    if (lost != null) {
      throw new IllegalStateException("the sync's progress no longer lists " + lost);
    }
    disk.put(prefix + "progress", encode(new Progress(target, progress)));
    memory.apply(replace, changes, target, progress);
  }

  @Override
  public Optional<Bytes> get(Bytes key) {
    return memory.get(key);
  }

  @Override
  public List<KeyValue> scan(KeyRange range) {
    return memory.scan(range);
  }

  @Override
  public Iterator<KeyValue> iterator() {
    return memory.iterator();
  }

  @Override
  public long keyCount() {
    return memory.keyCount();
  }

  @Override
  public void clear() {
    for (String key : List.copyOf(disk.list(prefix).keySet())) {
      disk.remove(key);
    }
    memory.clear();
  }

  @Override
  public void close() {}

  private String kvKey(Bytes key) {
    // Hex keeps the unsigned byte order of keys in the disk's string order.
    return prefix + "kv/" + key.toHex();
  }

  private static ByteString encode(Progress p) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(p.target().toBytes());
      out.writeInt(p.ranges().size());
      for (CompletedRange c : p.ranges()) {
        writeBound(out, c.range().start());
        writeBound(out, c.range().end());
        out.write(c.root().toBytes());
      }
      out.flush();
      return ByteString.copyFrom(bytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Progress decode(ByteString b) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(b.toByteArray()));
      Hash target = readHash(in);
      int n = in.readInt();
      List<CompletedRange> ranges = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Optional<Bytes> start = readBound(in);
        Optional<Bytes> end = readBound(in);
        ranges.add(new CompletedRange(new KeyRange(start, end), readHash(in)));
      }
      return new Progress(target, ranges);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeBound(DataOutputStream out, Optional<Bytes> bound) throws IOException {
    if (bound.isEmpty()) {
      out.writeInt(-1);
    } else {
      out.writeInt(bound.get().length());
      out.write(bound.get().unsafeArray());
    }
  }

  private static Optional<Bytes> readBound(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return Optional.empty();
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return Optional.of(Bytes.wrap(b));
  }

  private static Hash readHash(DataInputStream in) throws IOException {
    byte[] b = new byte[Hash.LENGTH];
    in.readFully(b);
    return Hash.wrap(b);
  }
}
