package devana.jobs.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The caches in front of the database stay bounded whatever stream of new ids comes. */
class RecentlySeenTest {

    @Test
    void keeps_at_most_its_capacity_and_forgets_the_least_recently_used_first() {
        RecentlySeen<Boolean> seen = new RecentlySeen<>(1000);
        seen.put("kept", true);
        for (int i = 0; i < 100_000; i++) {
            seen.put("job" + i, true);
            if (i % 100 == 0) {
                seen.get("kept");
            }
        }

        assertThat(seen.size()).isEqualTo(1000);
        assertThat(seen.contains("kept")).isTrue();
        assertThat(seen.contains("job0")).isFalse();
        assertThat(seen.contains("job99999")).isTrue();
    }
}
