package io.ferry.sim;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test's {@code long} parameter as its simulation seed: {@link SimSeedExtension} fills it
 * with {@link #value()}, or with the {@value Simulation#SEED_PROPERTY} system property when set,
 * and names the seed if the test fails.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface SimSeed {
  /** The seed the test runs by default. */
  long value();
}
