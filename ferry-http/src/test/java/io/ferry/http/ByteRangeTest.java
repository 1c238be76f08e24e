package io.ferry.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ByteRangeTest {

  /** Each row: header, file size, expected outcome ("whole", "416" or "first-last"). */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "NULL|100|whole",
        "bytes=0-9|100|0-9",
        "bytes=10-|100|10-99",
        "bytes=-10|100|90-99",
        "bytes=-1000|100|0-99",
        "bytes=90-1000|100|90-99",
        "bytes=99-99|100|99-99",
        "BYTES = 5-6 |100|5-6",
        "bytes=100-|100|416",
        "bytes=100-200|100|416",
        "bytes=-0|100|416",
        "bytes=0-|0|416",
        "bytes=-5|0|416",
        "bytes=99999999999999999999999-|100|416",
        "bytes=9-5|100|whole",
        "bytes=0-1,5-6|100|whole",
        "bytes=a-b|100|whole",
        "bytes=-|100|whole",
        "bytes=5|100|whole",
        "items=0-5|100|whole",
        "bytes=|100|whole",
        "bytes=1--2|100|whole",
      })
  void parses(String header, long size, String expected) {
    ByteRange.Request request = ByteRange.parse(header, size);
    String actual =
        switch (request) {
          case ByteRange.Whole w -> "whole";
          case ByteRange.Unsatisfiable u -> "416";
          case ByteRange.Partial(ByteRange r) -> r.first() + "-" + r.last();
        };
    assertThat(actual).isEqualTo(expected);
  }
}
