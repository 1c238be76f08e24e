/**
 * The deterministic simulator: many nodes' real protocol code in one JVM, on one thread, in virtual
 * time, over a simulated network with latency, bandwidth, loss, reordering, partitions, crashes and
 * restarts, and hooks for lying peers.
 *
 * <p>A {@link io.ferry.sim.Simulation} owns a seed, a {@link io.ferry.core.runtime.ManualScheduler}
 * every node shares, a {@link io.ferry.sim.SimNetwork} and a {@link io.ferry.sim.Trace}. Each
 * {@link io.ferry.sim.SimNode} runs an app that a {@link io.ferry.sim.NodeFactory} builds from a
 * {@link io.ferry.sim.NodeContext}: a {@link io.ferry.sim.SimTransport} (the {@link
 * io.ferry.net.Transport} interface over the shared {@link io.ferry.net.engine.Engine}), a
 * scheduler, clock and random stream, and a {@link io.ferry.sim.SimDisk} that outlives crashes. The
 * same seed and script give the same trace hash; see docs/development.md for replaying a failed
 * seed.
 *
 * <p>Everything here is single-threaded by design and not thread-safe.
 */
package io.ferry.sim;
