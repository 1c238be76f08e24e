package io.ferry.sim.archfixture;

/** Simulator code may use the simulator. */
@SuppressWarnings("unused")
public class SimulatorPart {
  FakeSimulator simulator;
}
