package io.ferry.blocks.exchange;

import java.time.Duration;

/**
 * How a node fetches: the prefetch window ahead of the slowest reader, blocks in flight per peer,
 * when an unanswered request moves to another peer, when the end game starts, how often a download
 * re-plans, and how long a manifest is looked for.
 *
 * @param window blocks fetched ahead of the slowest reader (or of the first missing block)
 * @param perPeer blocks asked of one peer at once
 * @param requestTimeout an unanswered request moves to another peer after this
 * @param endGame blocks in flight, with none left to ask for, below which each is also asked of a
 *     second peer
 * @param tick how often a download checks timeouts and dials new providers
 * @param manifestTimeout how long a manifest is looked for before the fetch fails
 */
public record ExchangeConfig(
    int window,
    int perPeer,
    Duration requestTimeout,
    int endGame,
    Duration tick,
    Duration manifestTimeout) {

  public ExchangeConfig {
    if (window < 1 || perPeer < 1 || endGame < 0) {
      throw new IllegalArgumentException("window and perPeer ≥ 1, endGame ≥ 0");
    }
  }

  public static ExchangeConfig defaults() {
    return new ExchangeConfig(
        1024, 32, Duration.ofSeconds(5), 32, Duration.ofMillis(250), Duration.ofSeconds(60));
  }
}
