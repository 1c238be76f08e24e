package io.ferry.http;

import java.util.function.Supplier;

/**
 * Where {@code GET /status} gets its JSON document. Called on a Netty event loop for each request,
 * so it must be quick and must not block; an exception or null answers 503.
 */
@FunctionalInterface
public interface StatusSource extends Supplier<String> {
  /** No status: {@code /status} answers 404, as for any other unknown path. */
  StatusSource NONE = () -> null;
}
