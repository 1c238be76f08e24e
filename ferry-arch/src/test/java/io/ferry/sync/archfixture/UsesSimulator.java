package io.ferry.sync.archfixture;

import io.ferry.sim.archfixture.FakeSimulator;

@SuppressWarnings("unused")
public class UsesSimulator {
  FakeSimulator simulator;
}
