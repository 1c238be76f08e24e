package io.ferry.merkledb.store;

import io.ferry.core.Hash;
import io.ferry.merkledb.trie.Node;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Recently read nodes, by id. Because an id is the hash of the node's whole content, an entry can
 * never be stale: readers of any revision can share it, and commits need not touch it.
 * Least-recently-used eviction in independently locked segments. Thread-safe.
 */
public final class NodeCache {
  private static final int SEGMENTS = 16;

  private final Segment[] segments = new Segment[SEGMENTS];

  public NodeCache(int capacity) {
    int per = Math.max(1, capacity / SEGMENTS);
    for (int i = 0; i < SEGMENTS; i++) {
      segments[i] = new Segment(per);
    }
  }

  private Segment segment(Hash id) {
    return segments[(id.hashCode() & 0x7fffffff) % SEGMENTS];
  }

  public Node get(Hash id) {
    Segment s = segment(id);
    synchronized (s) {
      return s.get(id);
    }
  }

  public void put(Node node) {
    Segment s = segment(node.id());
    synchronized (s) {
      s.put(node.id(), node);
    }
  }

  private static final class Segment extends LinkedHashMap<Hash, Node> {
    private static final long serialVersionUID = 1L;
    private final int capacity;

    Segment(int capacity) {
      super(16, 0.75f, true);
      this.capacity = capacity;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<Hash, Node> eldest) {
      return size() > capacity;
    }
  }
}
