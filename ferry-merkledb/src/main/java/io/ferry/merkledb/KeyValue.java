package io.ferry.merkledb;

import io.ferry.core.Bytes;

/** A key and its value. Immutable. */
public record KeyValue(Bytes key, Bytes value) {}
