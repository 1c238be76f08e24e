package io.ferry.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * The product's classes, as the rules see them: every {@code io.ferry} class on this module's test
 * class path that is not test code (the product modules' {@code target/classes} or jars, not their
 * {@code test-classes} nor this module's fixtures). Imported once per test run; thread-safe.
 */
final class MainClasses {
  private MainClasses() {}

  private static final class Holder {
    // Not ImportOption.DoNotIncludeJars: in `verify` Maven hands this module the product modules
    // as jars, and the rules would then see nothing.
    static final JavaClasses CLASSES =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.ferry");
  }

  static JavaClasses get() {
    return Holder.CLASSES;
  }
}
