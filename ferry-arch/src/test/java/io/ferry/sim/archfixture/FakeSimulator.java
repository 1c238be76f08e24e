package io.ferry.sim.archfixture;

/** Stands for a simulator class in ferry-arch's tests, wherever the real simulator lives. */
public class FakeSimulator {}
