package io.ferry.node.blocks;

import io.ferry.http.HttpStreamRoute;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams bytes {@code [first, last]} of a dataset's content to an HTTP answer, one block in hand
 * at a time: it asks its source for the next block only once the connection has taken the one
 * before, trims the first and last block to the range and the content's size, and ends the body
 * after the last. A block that fails aborts the answer (the client sees a short body); a connection
 * that closes stops the asking.
 *
 * <p>Runs on whatever threads complete the source's and the connection's futures; one instance per
 * answer.
 */
final class BodyStreamer {
  private static final Logger log = LoggerFactory.getLogger(BodyStreamer.class);

  private final IntFunction<CompletableFuture<byte[]>> source;
  private final HttpStreamRoute.ResponseStream out;
  private final int blockSize;
  private final long first;
  private final long end;
  private final Runnable onDone;
  private final Executor hop;
  private final AtomicBoolean stopped = new AtomicBoolean();

  /**
   * @param source content block {@code i} (the whole block; this class trims it)
   * @param first the first byte to send
   * @param last the last byte to send, inclusive
   * @param onDone runs once when the body has ended, failed or been cut off
   * @param hop where the next block is asked for after a write: a hop to another thread, so a
   *     source and a connection that both answer at once never make the call stack grow
   */
  BodyStreamer(
      IntFunction<CompletableFuture<byte[]>> source,
      HttpStreamRoute.ResponseStream out,
      int blockSize,
      long first,
      long last,
      Runnable onDone,
      Executor hop) {
    this.source = source;
    this.out = out;
    this.blockSize = blockSize;
    this.first = first;
    this.end = last + 1;
    this.onDone = onDone;
    this.hop = hop;
  }

  /** Starts sending; stops when {@code closed} completes first. */
  void start(CompletableFuture<Void> closed) {
    closed.whenComplete((ok, e) -> stop());
    next((int) (first / blockSize));
  }

  private void stop() {
    if (stopped.compareAndSet(false, true)) {
      onDone.run();
    }
  }

  private void next(int index) {
    long blockStart = (long) index * blockSize;
    if (stopped.get()) {
      return;
    }
    if (blockStart >= end) {
      out.end();
      stop();
      return;
    }
    source
        .apply(index)
        .whenComplete(
            (block, e) -> {
              if (e != null) {
                log.info(
                    "block {} could not be had, cutting the answer short: {}", index, e.toString());
                out.abort();
                stop();
                return;
              }
              int from = (int) Math.max(0, first - blockStart);
              int to = (int) Math.min(block.length, end - blockStart);
              byte[] part =
                  from == 0 && to == block.length ? block : Arrays.copyOfRange(block, from, to);
              out.write(part)
                  .whenCompleteAsync(
                      (ok, we) -> {
                        if (we != null) {
                          stop();
                        } else {
                          next(index + 1);
                        }
                      },
                      hop);
            });
  }
}
