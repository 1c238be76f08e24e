package io.ferry.sync.archfixture;

@SuppressWarnings("unused")
public class DeclaresLimits {
  static final int MAX_WIDGETS = 10;
  static final long WIDGET_MAX_BYTES = 1 << 20;
  static final int WIDGET_LIMIT = 3;

  static final int DEFAULT_MAX_WIDGETS = 5;
  static final String MAX_NAME = "widgets";
  static int MAX_MUTABLE = 1;
  final int MAX_PER_INSTANCE = 2;
  static final int WIDGET_COUNT = 4;
  static final int KEY_LIMIT_FIELD_NUMBER = 4;
}
