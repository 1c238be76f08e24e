package io.ferry.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * What one rule looks for in the classes it applies to, and its allow-list: {@link #rule()} is the
 * ArchRule the build checks (offences in allowed places pass), {@link #offences} finds every
 * offence, allowed or not, so that a test can show each allow-list entry is still needed.
 * Immutable.
 */
final class Check {
  private final DescribedPredicate<? super JavaClass> scope;
  private final String should;
  private final Function<JavaClass, Stream<Offence>> finder;
  private final List<Exemption> allowList;

  private Check(
      DescribedPredicate<? super JavaClass> scope,
      String should,
      Function<JavaClass, Stream<Offence>> finder,
      List<Exemption> allowList) {
    this.scope = scope;
    this.should = should;
    this.finder = finder;
    this.allowList = List.copyOf(allowList);
  }

  /** Classes in {@code scope} must make no access that {@code forbidden} matches. */
  static Check accesses(
      DescribedPredicate<? super JavaClass> scope,
      DescribedPredicate<? super JavaAccess<?>> forbidden,
      List<Exemption> allowList) {
    return new Check(
        scope,
        "not " + forbidden.getDescription(),
        c -> c.getAccessesFromSelf().stream().filter(forbidden).map(Offence::of),
        allowList);
  }

  /** Classes in {@code scope} must declare no field that {@code forbidden} matches. */
  static Check fields(
      DescribedPredicate<? super JavaClass> scope,
      DescribedPredicate<? super JavaField> forbidden,
      List<Exemption> allowList) {
    return new Check(
        scope,
        "not declare " + forbidden.getDescription(),
        c ->
            c.getFields().stream()
                .filter(forbidden)
                .map(f -> Offence.of(f, "is " + forbidden.getDescription())),
        allowList);
  }

  List<Exemption> allowList() {
    return allowList;
  }

  /** The rule the build checks: no offence outside the allow-list. */
  ArchRule rule() {
    return classes()
        .that(scope)
        .should(
            new ArchCondition<JavaClass>(should) {
              @Override
              public void check(JavaClass c, ConditionEvents events) {
                finder
                    .apply(c)
                    .filter(o -> allowList.stream().noneMatch(e -> e.covers(o)))
                    .forEach(o -> events.add(SimpleConditionEvent.violated(c, o.description())));
              }
            });
  }

  /** Every offence in {@code classes}, allowed places included. */
  List<Offence> offences(JavaClasses classes) {
    List<Offence> found = new ArrayList<>();
    for (JavaClass c : classes) {
      if (scope.test(c)) {
        finder.apply(c).forEach(found::add);
      }
    }
    return found;
  }
}
