package io.ferry.arch;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnitAccess;
import com.tngtech.archunit.core.domain.JavaConstructorCall;
import com.tngtech.archunit.core.domain.JavaConstructorReference;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The accesses protocol code must not make, each as a predicate over one call, constructor call or
 * method reference. They match by the type the call names in the byte code, which is the static
 * type of the receiver: {@code map.values()} on a field declared {@code Map} names {@code Map}.
 */
final class Forbidden {
  private Forbidden() {}

  /** System time, and every java.time factory that reads it. */
  static final DescribedPredicate<JavaAccess<?>> WALL_CLOCK =
      forbid(
          "read the wall clock",
          a ->
              calls(a, "java.lang.System", "currentTimeMillis", "nanoTime")
                  || ownerPackage(a).equals("java.time") && name(a).equals("now")
                  || calls(
                      a,
                      "java.time.Clock",
                      "systemUTC",
                      "systemDefaultZone",
                      "tickMillis",
                      "tickSeconds",
                      "tickMinutes")
                  || calls(a, "java.time.InstantSource", "system")
                  || constructs(a, "java.util.Date") && parameterCount(a) == 0);

  static final DescribedPredicate<JavaAccess<?>> SLEEP =
      forbid(
          "sleep",
          a ->
              calls(a, "java.lang.Thread", "sleep")
                  || calls(a, "java.util.concurrent.TimeUnit", "sleep"));

  /** Threads and the pools and timers that start them. */
  static final DescribedPredicate<JavaAccess<?>> THREADS =
      forbid(
          "start threads",
          a ->
              constructs(a, "java.lang.Thread")
                  || ownerIsA(a, "java.lang.Thread") && name(a).equals("start")
                  || calls(a, "java.lang.Thread", "startVirtualThread", "ofPlatform", "ofVirtual")
                  || ownerIs(a, "java.util.concurrent.Executors")
                      && (name(a).startsWith("new") || name(a).equals("defaultThreadFactory"))
                  || constructs(a, "java.util.concurrent.ThreadPoolExecutor")
                  || constructs(a, "java.util.concurrent.ScheduledThreadPoolExecutor")
                  || constructs(a, "java.util.concurrent.ForkJoinPool")
                  || constructs(a, "java.util.Timer"));

  /** Work handed to other threads: parallel streams, the common fork-join pool, async stages. */
  static final DescribedPredicate<JavaAccess<?>> PARALLEL_WORK =
      forbid(
          "run work in parallel",
          a ->
              ownerPackage(a).equals("java.util.stream") && name(a).equals("parallel")
                  || name(a).equals("parallelStream")
                  || ownerIs(a, "java.util.Arrays") && name(a).startsWith("parallel")
                  || calls(a, "java.util.concurrent.ForkJoinPool", "commonPool")
                  || ownerIsA(a, "java.util.concurrent.ForkJoinTask")
                      && Set.of("fork", "invoke", "invokeAll").contains(name(a))
                  || ownerIs(a, "java.util.concurrent.CompletableFuture")
                      && name(a).endsWith("Async")
                      && !hasParameter(a, "java.util.concurrent.Executor"));

  /** Randomness that no seed controls. */
  static final DescribedPredicate<JavaAccess<?>> UNSEEDED_RANDOM =
      forbid(
          "draw unseeded random numbers",
          a ->
              constructs(a, "java.util.Random") && parameterCount(a) == 0
                  || constructs(a, "java.security.SecureRandom")
                  || calls(a, "java.lang.Math", "random")
                  || calls(a, "java.util.concurrent.ThreadLocalRandom", "current")
                  || calls(a, "java.util.UUID", "randomUUID")
                  || calls(a, "java.util.Collections", "shuffle") && parameterCount(a) == 1);

  private static final Set<String> UNORDERED_MAPS =
      Set.of(
          "java.util.Map",
          "java.util.AbstractMap",
          "java.util.HashMap",
          "java.util.Hashtable",
          "java.util.WeakHashMap",
          "java.util.IdentityHashMap",
          "java.util.concurrent.ConcurrentMap",
          "java.util.concurrent.ConcurrentHashMap");

  private static final Set<String> MAP_ITERATION =
      Set.of("entrySet", "keySet", "values", "forEach", "keys", "elements");

  private static final Set<String> UNORDERED_SETS =
      Set.of("java.util.HashSet", "java.util.concurrent.ConcurrentHashMap$KeySetView");

  /** Sets whose order depends on where they came from: judged by {@link #fromOrderedMap}. */
  private static final Set<String> SETS = Set.of("java.util.Set", "java.util.AbstractSet");

  private static final Set<String> SET_ITERATION =
      Set.of("iterator", "forEach", "stream", "parallelStream", "spliterator", "toArray");

  private static final Set<String> ORDERED_MAP_VIEWS =
      Set.of(
          "entrySet",
          "keySet",
          "navigableKeySet",
          "descendingKeySet",
          "sequencedKeySet",
          "sequencedEntrySet");

  /**
   * Iteration of a map or set through a type that promises no order ({@code Map}, {@code HashMap},
   * {@code HashSet}, a {@code Set} that is not the key or entry set of an ordered map, ...). Byte
   * code shows no data flow, so this is the conservative form of "no hash order on the wire": what
   * protocol code iterates must be declared with its order ({@code List}, {@code SequencedMap},
   * {@code SequencedSet}, {@code SortedMap}, {@code NavigableSet}), so the order is part of its
   * type. A {@code Collection} (such as {@code values()} of a sorted map) is not judged.
   */
  static final DescribedPredicate<JavaAccess<?>> HASH_ORDER_ITERATION =
      forbid(
          "iterate a map or set whose type promises no order",
          a ->
              UNORDERED_MAPS.contains(ownerName(a)) && MAP_ITERATION.contains(name(a))
                  || UNORDERED_SETS.contains(ownerName(a)) && SET_ITERATION.contains(name(a))
                  || SETS.contains(ownerName(a))
                      && SET_ITERATION.contains(name(a))
                      && !fromOrderedMap(a));

  /**
   * Whether a {@code Set} iterated by {@code a} may be a view of an ordered map: {@code entrySet()}
   * of a {@code NavigableMap} has the static type {@code Set}, so a method that takes such a view
   * is given the benefit of the doubt for the sets it iterates.
   */
  private static boolean fromOrderedMap(JavaAccess<?> a) {
    return a.getOrigin().getMethodCallsFromSelf().stream()
        .anyMatch(
            c ->
                ORDERED_MAP_VIEWS.contains(c.getName())
                    && (c.getTargetOwner().isAssignableTo("java.util.SortedMap")
                        || c.getTargetOwner().isAssignableTo("java.util.SequencedMap")));
  }

  /** Matches calls, constructor calls and method references only, not field accesses. */
  private static DescribedPredicate<JavaAccess<?>> forbid(
      String description, Predicate<JavaAccess<?>> matches) {
    return DescribedPredicate.describe(
        description, a -> a instanceof JavaCodeUnitAccess<?> && matches.test(a));
  }

  private static boolean calls(JavaAccess<?> a, String owner, String... names) {
    if (!ownerIs(a, owner)) {
      return false;
    }
    for (String n : names) {
      if (name(a).equals(n)) {
        return true;
      }
    }
    return false;
  }

  /** A constructor call or reference of {@code type} or a subclass of it. */
  private static boolean constructs(JavaAccess<?> a, String type) {
    return (a instanceof JavaConstructorCall || a instanceof JavaConstructorReference)
        && ownerIsA(a, type);
  }

  private static boolean ownerIs(JavaAccess<?> a, String type) {
    return ownerName(a).equals(type);
  }

  private static boolean ownerIsA(JavaAccess<?> a, String type) {
    JavaClass owner = a.getTargetOwner();
    return owner.getName().equals(type) || owner.isAssignableTo(type);
  }

  private static String ownerName(JavaAccess<?> a) {
    return a.getTargetOwner().getName();
  }

  private static String ownerPackage(JavaAccess<?> a) {
    return a.getTargetOwner().getPackageName();
  }

  private static String name(JavaAccess<?> a) {
    return a.getTarget().getName();
  }

  private static int parameterCount(JavaAccess<?> a) {
    return a instanceof JavaCodeUnitAccess<?> c ? c.getTarget().getRawParameterTypes().size() : -1;
  }

  private static boolean hasParameter(JavaAccess<?> a, String type) {
    return a instanceof JavaCodeUnitAccess<?> c
        && c.getTarget().getRawParameterTypes().stream().anyMatch(p -> p.getName().equals(type));
  }
}
