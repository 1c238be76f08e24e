package io.ferry.sync.archfixture;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SequencedMap;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

@SuppressWarnings("unused")
public class IteratesHashOrder {
  private final Map<String, Integer> byName = new HashMap<>();
  private final HashSet<String> names = new HashSet<>();
  private final ConcurrentHashMap<String, Integer> concurrent = new ConcurrentHashMap<>();
  private final NavigableMap<String, Integer> sorted = new TreeMap<>();
  private final SequencedMap<String, Integer> inserted = new LinkedHashMap<>();

  List<String> mapKeySet() {
    List<String> out = new ArrayList<>();
    for (String k : byName.keySet()) {
      out.add(k);
    }
    return out;
  }

  void mapForEach(List<String> out) {
    byName.forEach((k, v) -> out.add(k));
  }

  int hashSetIteration() {
    int n = 0;
    for (String s : names) {
      n += s.length();
    }
    return n;
  }

  long concurrentValues() {
    return concurrent.values().stream().count();
  }

  List<String> setParameter(Set<String> peers) {
    return peers.stream().toList();
  }

  List<String> sortedEntrySet() {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Integer> e : sorted.entrySet()) {
      out.add(e.getKey());
    }
    return out;
  }

  List<String> sortedView(String from) {
    List<String> out = new ArrayList<>();
    for (String k : sorted.tailMap(from, true).descendingMap().keySet()) {
      out.add(k);
    }
    return out;
  }

  int sortedValues(SortedMap<String, Integer> m) {
    int n = 0;
    for (int v : m.values()) {
      n += v;
    }
    return n;
  }

  List<String> sequencedMap() {
    List<String> out = new ArrayList<>();
    inserted.forEach((k, v) -> out.add(k));
    return out;
  }

  Integer lookup(String name) {
    return byName.get(name);
  }
}
