package io.ferry.sync.push;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import java.time.Duration;

/**
 * Push-sync settings: what a subscriber asks for, and what a pusher grants and keeps. Immutable.
 *
 * @param window how long a subscription stays open before the subscriber renews it ({@code
 *     --push-window}); renewed when two thirds of it have passed
 * @param budget bytes of pushes a subscription takes ({@code --push-bytes}); renewed when half has
 *     been received
 * @param maxGrantedWindow the longest window this node grants a subscriber
 * @param maxGrantedBudget the largest budget this node grants a subscriber
 * @param recentCommits commits this node keeps encoded for pushes to subscribers a little behind
 * @param recentBytes bytes of those it keeps at most
 * @param refusedPause how long a subscriber leaves a peer alone that refused it or lied to it
 * @param retry how long a subscriber waits after a subscribe failed (timeout, disconnect)
 * @param requestTimeout how long a subscribe may take to be answered
 */
public record PushConfig(
    Duration window,
    long budget,
    Duration maxGrantedWindow,
    long maxGrantedBudget,
    int recentCommits,
    long recentBytes,
    Duration refusedPause,
    Duration retry,
    Duration requestTimeout) {

  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(60);
  public static final long DEFAULT_BUDGET = 256L << 20;

  public static final PushConfig DEFAULT =
      new PushConfig(
          DEFAULT_WINDOW,
          DEFAULT_BUDGET,
          Duration.ofSeconds(Limits.MAX_SUBSCRIPTION_SECONDS),
          1L << 30,
          64,
          64L << 20,
          Duration.ofSeconds(30),
          Duration.ofSeconds(1),
          Duration.ofSeconds(5));

  public PushConfig {
    if (window.toSeconds() < 1 || window.toSeconds() > Limits.MAX_SUBSCRIPTION_SECONDS) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "a push window is 1 to " + Limits.MAX_SUBSCRIPTION_SECONDS + " s, not " + window);
    }
    if (budget < 1 || maxGrantedBudget < 1 || recentCommits < 1 || recentBytes < 1) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "push budgets and the recent-commit bounds are positive");
    }
  }

  public PushConfig withWindow(Duration w) {
    return new PushConfig(
        w,
        budget,
        maxGrantedWindow,
        maxGrantedBudget,
        recentCommits,
        recentBytes,
        refusedPause,
        retry,
        requestTimeout);
  }

  public PushConfig withBudget(long b) {
    return new PushConfig(
        window,
        b,
        maxGrantedWindow,
        maxGrantedBudget,
        recentCommits,
        recentBytes,
        refusedPause,
        retry,
        requestTimeout);
  }
}
