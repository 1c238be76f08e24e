package io.ferry.sim.gossip;

import io.ferry.core.Hash;
import io.ferry.gossip.value.SignatureCheck;
import io.ferry.gossip.value.SignedValue;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The signature check every simulated node shares: a value's Ed25519 signature is verified for real
 * the first time any node checks it, and the outcome is remembered by the value's hash (which
 * covers every field and the signature), so the thousand nodes that each check one value cost one
 * verification, not a thousand (the JDK's takes about half a millisecond of CPU). A check is a pure
 * function of the value and the network, so no node can tell. Keeps the last {@code capacity}
 * outcomes; with a capacity of 0 it remembers none, and every node verifies every value it takes,
 * as real nodes do. Not thread-safe: the simulator runs on one thread.
 */
public final class SignatureMemo implements SignatureCheck {
  private final String network;
  private final int capacity;
  private final Map<Hash, Boolean> outcomes;
  private long verified;
  private long remembered;

  public SignatureMemo(String network, int capacity) {
    this.network = network;
    this.capacity = capacity;
    this.outcomes =
        new LinkedHashMap<>(1024, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Hash, Boolean> eldest) {
            return size() > capacity;
          }
        };
  }

  @Override
  public boolean verifies(SignedValue value, String inNetwork) {
    if (!inNetwork.equals(network)) {
      verified++;
      return ED25519.verifies(value, inNetwork);
    }
    if (capacity == 0) {
      verified++;
      return ED25519.verifies(value, inNetwork);
    }
    Hash hash = value.hash();
    Boolean known = outcomes.get(hash);
    if (known != null) {
      remembered++;
      return known;
    }
    verified++;
    boolean ok = ED25519.verifies(value, inNetwork);
    outcomes.put(hash, ok);
    return ok;
  }

  /** Signatures verified for real. */
  long verified() {
    return verified;
  }

  /** Checks answered from memory. */
  long remembered() {
    return remembered;
  }
}
