package io.ferry.sync.proof.client;

import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.identity.NodeId;
import java.util.Optional;

/**
 * A key range still to fetch. With no {@code localRoot} the range is fetched as a range proof at
 * the target root; with one, the store holds the range as of that root and a change proof from it
 * to the target brings it up to date.
 *
 * @param range the keys, inclusive at both ends
 * @param priority where it goes in the queue
 * @param localRoot the root the store's copy of the range is at, if it has one
 * @param attempts failed attempts so far, for backoff
 * @param avoid the server that last failed this item, tried again only if no other is available
 */
public record WorkItem(
    KeyRange range,
    Priority priority,
    Optional<Hash> localRoot,
    int attempts,
    Optional<NodeId> avoid) {

  public static WorkItem fresh(KeyRange range, Priority priority) {
    return new WorkItem(range, priority, Optional.empty(), 0, Optional.empty());
  }

  public WorkItem withRange(KeyRange r) {
    return new WorkItem(r, priority, localRoot, attempts, avoid);
  }

  public WorkItem retry(NodeId failedServer) {
    return new WorkItem(range, Priority.RETRY, localRoot, attempts + 1, Optional.of(failedServer));
  }
}
