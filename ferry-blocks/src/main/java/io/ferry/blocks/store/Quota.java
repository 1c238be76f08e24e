package io.ferry.blocks.store;

/**
 * The store's byte budget: bytes stored, and bytes reserved by puts under way, which reserve the
 * most they can add before they write and settle to what they did add after. Thread-safe.
 */
final class Quota {
  private final long limit;
  private long used; // guarded by this
  private long reserved; // guarded by this

  Quota(long limit) {
    this.limit = limit;
  }

  long limit() {
    return limit;
  }

  synchronized long used() {
    return used;
  }

  /** Bytes neither stored nor reserved; negative when the store is over its quota. */
  synchronized long free() {
    return limit - used - reserved;
  }

  /** Reserves {@code bytes} if they fit beside what is stored and reserved. */
  synchronized boolean tryReserve(long bytes) {
    if (used + reserved + bytes > limit) {
      return false;
    }
    reserved += bytes;
    return true;
  }

  /** Ends a reservation of {@code reservedBytes}, of which the put stored {@code stored}. */
  synchronized void settle(long reservedBytes, long stored) {
    reserved -= reservedBytes;
    used += stored;
  }

  /** Counts bytes stored outside a reservation (found at open). */
  synchronized void add(long bytes) {
    used += bytes;
  }

  /** Counts bytes deleted. */
  synchronized void free(long bytes) {
    used -= bytes;
  }
}
