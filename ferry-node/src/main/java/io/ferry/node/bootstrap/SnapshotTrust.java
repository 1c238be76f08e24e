package io.ferry.node.bootstrap;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import java.util.Collection;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Whose snapshot advertisements a newcomer believes: a snapshot is trusted when at least {@code
 * minAgreement} of the {@code validators} advertise it with the same hashes (a k-of-n vote; Agave
 * has no such rule, the first hash it sees wins). Trusting a producer is the case of one validator,
 * the producer, and k = 1: the producer's own signed {@code SNAPSHOT_HASHES} value names a snapshot
 * whose manifest, and so whose root, the producer made. Immutable.
 *
 * @param validators the nodes whose advertisements count as votes
 * @param minAgreement how many of them must advertise the same snapshot, 1 to {@code
 *     validators.size()}
 * @param who what the validators are called in reasons ("a known validator", "the trusted
 *     producer")
 */
public record SnapshotTrust(SortedSet<NodeId> validators, int minAgreement, String who) {
  public SnapshotTrust {
    validators = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(validators));
    if (validators.isEmpty()) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "a snapshot trust needs a validator");
    }
    if (minAgreement < 1 || minAgreement > validators.size()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "min-agreement must be 1 to the number of known validators ("
              + validators.size()
              + "), got "
              + minAgreement);
    }
  }

  /** At least {@code k} of {@code validators} must agree. */
  public static SnapshotTrust validators(Collection<NodeId> validators, int k) {
    return new SnapshotTrust(new TreeSet<>(validators), k, "a known validator");
  }

  /** The producer's own advertisement is enough. */
  public static SnapshotTrust producer(NodeId producer) {
    return new SnapshotTrust(new TreeSet<>(java.util.List.of(producer)), 1, "the trusted producer");
  }

  public boolean isValidator(NodeId id) {
    return validators.contains(id);
  }
}
