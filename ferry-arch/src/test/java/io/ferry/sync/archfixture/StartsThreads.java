package io.ferry.sync.archfixture;

import java.util.Timer;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

@SuppressWarnings("unused")
public class StartsThreads {
  Thread newThread(Runnable r) {
    return new Thread(r);
  }

  Thread startVirtualThread(Runnable r) {
    return Thread.startVirtualThread(r);
  }

  Thread.Builder ofPlatform() {
    return Thread.ofPlatform();
  }

  Thread.Builder ofVirtual() {
    return Thread.ofVirtual();
  }

  ExecutorService executorsNew() {
    return Executors.newFixedThreadPool(2);
  }

  ExecutorService newThreadPoolExecutor() {
    return new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
  }

  ForkJoinPool newForkJoinPool() {
    return new ForkJoinPool(2);
  }

  Timer newTimer() {
    return new Timer();
  }

  void subclass() {
    new Thread() {}.start();
  }

  void givenExecutor(Executor executor, Runnable r) {
    executor.execute(r);
  }
}
