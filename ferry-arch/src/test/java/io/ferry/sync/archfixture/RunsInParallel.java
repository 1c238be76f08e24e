package io.ferry.sync.archfixture;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

@SuppressWarnings("unused")
public class RunsInParallel {
  long parallelStream(List<String> list) {
    return list.parallelStream().count();
  }

  long streamParallel(List<String> list) {
    return list.stream().parallel().count();
  }

  int intStreamParallel() {
    return IntStream.range(0, 10).parallel().sum();
  }

  void arraysParallelSort(int[] a) {
    Arrays.parallelSort(a);
  }

  ForkJoinPool commonPool() {
    return ForkJoinPool.commonPool();
  }

  CompletableFuture<String> supplyAsync() {
    return CompletableFuture.supplyAsync(() -> "x");
  }

  CompletableFuture<Integer> thenApplyAsync(CompletableFuture<String> f) {
    return f.thenApplyAsync(String::length);
  }

  CompletableFuture<String> supplyAsyncOnGivenExecutor(Executor executor) {
    return CompletableFuture.supplyAsync(() -> "x", executor);
  }

  long sequential(List<String> list) {
    return list.stream().count();
  }
}
