package io.ferry.arch;

import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaField;

/**
 * One breach of a rule: where it is ({@code owner} and its {@code member}, a method, constructor or
 * field name) and what it does, as the build reports it.
 */
record Offence(JavaClass owner, String member, String description) {

  /**
   * The offence of an access; code in a lambda counts as code of the method that holds the lambda,
   * since that is where a reader sees it.
   */
  static Offence of(JavaAccess<?> access) {
    return new Offence(
        access.getOriginOwner(),
        enclosingMember(access.getOrigin().getName()),
        access.getDescription());
  }

  static Offence of(JavaField field, String what) {
    return new Offence(
        field.getOwner(),
        field.getName(),
        "Field <" + field.getFullName() + "> " + what + " in " + field.getSourceCodeLocation());
  }

  /** {@code lambda$commit$3} is code of {@code commit}; {@code lambda$new$0} of a constructor. */
  static String enclosingMember(String name) {
    if (!name.startsWith("lambda$")) {
      return name;
    }
    String enclosing = name.substring("lambda$".length(), name.lastIndexOf('$'));
    return switch (enclosing) {
      case "new" -> "<init>";
      case "static" -> "<clinit>";
      default -> enclosing;
    };
  }
}
