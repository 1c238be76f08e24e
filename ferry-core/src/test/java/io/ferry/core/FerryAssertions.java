package io.ferry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.assertj.core.api.AbstractStringAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Assertions on Ferry's typed errors, shared by the core tests. */
public final class FerryAssertions {
  private FerryAssertions() {}

  /**
   * Asserts that {@code call} throws a {@link FerryException} with {@code code} and returns an
   * assertion on its message for further checks.
   */
  public static AbstractStringAssert<?> assertFerryError(ThrowingCallable call, ErrorCode code) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).as("expected a FerryException(%s)", code).isInstanceOf(FerryException.class);
    FerryException e = (FerryException) thrown;
    assertThat(e.code()).as("error code of: %s", e.getMessage()).isEqualTo(code);
    assertThat(e.getMessage()).isNotBlank();
    return assertThat(e.getMessage());
  }
}
