package io.ferry.sim;

/**
 * Starts a simulated node's protocol code: called on the first start and again on every restart,
 * with a fresh {@link NodeContext} each time (same key and disk, new transport, scheduler and
 * random stream). Whatever it returns is the node's app, reachable through {@link SimNode#app()};
 * if the app is {@link AutoCloseable}, a graceful {@link Simulation#stop} closes it.
 *
 * @param <A> the app's type
 */
@FunctionalInterface
public interface NodeFactory<A> {
  A start(NodeContext context);
}
