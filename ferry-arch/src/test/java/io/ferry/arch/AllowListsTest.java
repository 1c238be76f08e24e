package io.ferry.arch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every allow-list entry names real code that still needs it; a stale entry is a hole. */
class AllowListsTest {

  @Test
  void everyEntryStillCoversAnOffence() {
    for (Check check : FerryRules.CHECKS) {
      List<Offence> offences = check.offences(MainClasses.get());
      for (Exemption e : check.allowList()) {
        assertThat(offences)
            .as(
                "%s is on the allow-list but does nothing there any more: remove the entry"
                    + " from io.ferry.arch.FerryRules",
                e.place())
            .anyMatch(e::covers);
      }
    }
  }

  @Test
  void everyEntryNamesAClassOnce() {
    for (Check check : FerryRules.CHECKS) {
      Set<String> places = new HashSet<>();
      for (Exemption e : check.allowList()) {
        assertThat(MainClasses.get().contain(e.className()))
            .as("%s names no class", e.place())
            .isTrue();
        assertThat(places.add(e.place())).as("%s is listed twice", e.place()).isTrue();
      }
    }
  }
}
