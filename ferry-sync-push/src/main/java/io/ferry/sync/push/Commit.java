package io.ferry.sync.push;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyChange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One commit as push sync carries it: the batch that turns the state at {@code parentRoot} (height
 * {@code height - 1}) into the state {@code head} names, with the producer's signature over that
 * head. Nothing proves the batch: the receiver re-applies it and compares the root it computes with
 * the signed one. Immutable.
 *
 * @param changes the batch in strictly increasing key order; an empty value is a delete
 */
public record Commit(long height, Hash parentRoot, List<KeyChange> changes, SignedHead head) {
  public Commit {
    changes = List.copyOf(changes);
    if (height < 1) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "a commit height is >= 1: " + height);
    }
    if (head.height() != height) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING,
          "the commit at height " + height + " carries a head at height " + head.height());
    }
    for (int i = 1; i < changes.size(); i++) {
      if (changes.get(i - 1).key().compareTo(changes.get(i).key()) >= 0) {
        throw new FerryException(
            ErrorCode.INVALID_ENCODING, "a commit's changes are in strictly increasing key order");
      }
    }
  }

  /** The commit that {@code batch} made on {@code parentRoot}, signed by {@code head}. */
  public static Commit of(Batch batch, Hash parentRoot, SignedHead head) {
    List<KeyChange> changes = new ArrayList<>(batch.size());
    for (Map.Entry<Bytes, Optional<Bytes>> e : batch.operations().entrySet()) {
      changes.add(new KeyChange(e.getKey(), e.getValue()));
    }
    return new Commit(head.height(), parentRoot, changes, head);
  }

  /** The batch to re-apply; checked against the key and value limits. */
  public Batch batch() {
    return Batch.ofChanges(changes);
  }

  /** The head the subscriber holds once this commit is applied. */
  public KnownHead after() {
    return new KnownHead(height, head.root());
  }
}
