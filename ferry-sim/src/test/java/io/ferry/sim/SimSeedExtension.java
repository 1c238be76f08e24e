package io.ferry.sim;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives simulation tests their seed and reports it on failure. A parameter {@code @SimSeed(42) long
 * seed} gets 42, or the {@value Simulation#SEED_PROPERTY} system property when set; a failing test
 * then logs {@code simulation seed=N; replay with -Dferry.sim.seed=N} and carries the same line as
 * a suppressed exception, so it shows in the failure report.
 */
public final class SimSeedExtension implements ParameterResolver, TestExecutionExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(SimSeedExtension.class);
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(SimSeedExtension.class);

  /** The line a failing simulation test carries. */
  public static final class SeedReport extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SeedReport(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == long.class && p.isAnnotated(SimSeed.class);
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    long seed = Simulation.seedProperty(p.findAnnotation(SimSeed.class).orElseThrow().value());
    e.getStore(NS).put("seed", seed);
    return seed;
  }

  @Override
  public void handleTestExecutionException(ExtensionContext e, Throwable failure) throws Throwable {
    Long seed = e.getStore(NS).get("seed", Long.class);
    if (seed != null) {
      String hint = Simulation.replayHint(seed);
      log.error("{} failed: {}", e.getDisplayName(), hint);
      failure.addSuppressed(new SeedReport(hint));
    }
    throw failure;
  }
}
