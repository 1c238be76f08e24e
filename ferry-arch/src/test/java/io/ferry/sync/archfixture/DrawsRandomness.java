package io.ferry.sync.archfixture;

import io.ferry.core.runtime.RandomSource;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

@SuppressWarnings("unused")
public class DrawsRandomness {
  Random newRandom() {
    return new Random();
  }

  SecureRandom newSecureRandom() {
    return new SecureRandom();
  }

  double mathRandom() {
    return Math.random();
  }

  int threadLocalRandom() {
    return ThreadLocalRandom.current().nextInt();
  }

  UUID randomUuid() {
    return UUID.randomUUID();
  }

  void shuffle(List<String> list) {
    Collections.shuffle(list);
  }

  Random seededRandom(RandomSource random) {
    return new Random(random.nextLong());
  }

  void shuffleWithGivenRandom(List<String> list, Random seeded) {
    Collections.shuffle(list, seeded);
  }

  long injected(RandomSource random) {
    return random.nextLong();
  }
}
