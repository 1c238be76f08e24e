package io.ferry.net.memory;

import io.ferry.net.PeerAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A switchboard for {@link MemoryTransport}s in one process: each transport listens at a {@code
 * HOST:PORT} name and dials others by theirs. For unit tests of protocol code on real threads; the
 * deterministic runs use the simulator instead. Thread-safe.
 */
public final class MemoryNetwork {
  private final Map<String, MemoryTransport> listeners = new ConcurrentHashMap<>();

  void listen(PeerAddress address, MemoryTransport transport) {
    if (listeners.putIfAbsent(address.hostPort(), transport) != null) {
      throw new IllegalStateException(address.hostPort() + " is already in use");
    }
  }

  void unlisten(PeerAddress address, MemoryTransport transport) {
    listeners.remove(address.hostPort(), transport);
  }

  MemoryTransport lookup(PeerAddress address) {
    return listeners.get(address.hostPort());
  }
}
