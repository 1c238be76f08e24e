package io.ferry.blocks.erasure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReedSolomonTest {
  private static void assertInvalid(Runnable call, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining(message);
  }

  @Test
  void shardCountsOutOfBoundsAreRefused() {
    assertInvalid(() -> ReedSolomon.of(0, 1), "not 0,1");
    assertInvalid(() -> ReedSolomon.of(1, 0), "not 1,0");
    assertInvalid(() -> ReedSolomon.of(200, 57), "not 200,57");
    assertThat(ReedSolomon.of(200, 56).totalShards()).isEqualTo(256);
  }

  @Test
  void theLargestCodeRebuildsFromItsLastShards() {
    ReedSolomon rs = ReedSolomon.of(128, 128);
    Random random = new Random(7);
    byte[][] shards = new byte[256][];
    for (int i = 0; i < 128; i++) {
      shards[i] = new byte[33];
      random.nextBytes(shards[i]);
    }
    rs.encode(shards);
    byte[][] original = shards.clone();
    byte[][] damaged = new byte[256][];
    boolean[] present = new boolean[256];
    for (int i = 128; i < 256; i++) {
      damaged[i] = shards[i];
      present[i] = true;
    }
    rs.reconstruct(damaged, present);
    assertThat(damaged).isDeepEqualTo(original);
  }

  @Test
  void malformedShardsAreRefused() {
    ReedSolomon rs = ReedSolomon.of(2, 1);
    assertInvalid(() -> rs.encode(new byte[2][4]), "takes 3 shards, not 2");
    assertInvalid(() -> rs.encode(new byte[][] {new byte[4], null, null}), "data shard 1");
    assertInvalid(
        () -> rs.encode(new byte[][] {new byte[4], new byte[5], null}), "shards of 4 and 5 bytes");
    assertInvalid(
        () -> rs.reconstruct(new byte[][] {new byte[4], null, new byte[4]}, new boolean[2]),
        "shards and flags");
    assertInvalid(
        () ->
            rs.reconstruct(
                new byte[][] {new byte[4], null, new byte[4]}, new boolean[] {true, true, true}),
        "marked present");
    assertInvalid(
        () ->
            rs.reconstruct(
                new byte[][] {new byte[4], new byte[3], new byte[4]},
                new boolean[] {true, true, false}),
        "shards of 4 and 3 bytes");
  }

  @Test
  void parityArraysAreFilledOrMade() {
    ReedSolomon rs = ReedSolomon.of(2, 2);
    byte[] existing = {9, 9, 9};
    byte[][] shards = {{0, 1, 2}, {3, 4, 5}, existing, null};
    rs.encode(shards);
    assertThat(shards[2]).isSameAs(existing).containsExactly(6, 11, 12);
    assertThat(shards[3]).containsExactly(5, 14, 11);
  }

  @Test
  void aCachedDecodeMatrixGivesTheSameAnswer() {
    ReedSolomon rs = ReedSolomon.of(6, 3);
    Random random = new Random(3);
    for (int round = 0; round < 3; round++) {
      byte[][] shards = new byte[9][];
      for (int i = 0; i < 6; i++) {
        shards[i] = new byte[ReedSolomon.SLICE + 5];
        random.nextBytes(shards[i]);
      }
      rs.encode(shards);
      byte[][] damaged = shards.clone();
      boolean[] present = {false, true, false, true, true, true, true, false, true};
      damaged[0] = null;
      damaged[2] = null;
      damaged[7] = null;
      rs.reconstruct(damaged, present);
      assertThat(damaged).isDeepEqualTo(shards);
    }
  }

  @Test
  void nothingLostIsNothingToDo() {
    ReedSolomon rs = ReedSolomon.of(2, 1);
    byte[][] shards = {{1}, {2}, {99}};
    rs.reconstruct(shards, new boolean[] {true, true, true});
    assertThat(shards[2]).containsExactly(99);
  }
}
