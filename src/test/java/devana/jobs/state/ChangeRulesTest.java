package devana.jobs.state;

import static org.assertj.core.api.Assertions.assertThat;

import devana.jobs.state.ChangeRules.Change;
import devana.jobs.state.ChangeRules.Stored;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChangeRulesTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant T1 = T0.plusSeconds(30);

    @Test
    void a_job_never_stored_is_new() {
        assertThat(ChangeRules.judge(null, job("PENDING", null, T0))).isEqualTo(Change.NEW);
    }

    @Test
    void a_status_that_does_not_follow_the_stored_one_is_stale_whatever_its_time() {
        assertThat(ChangeRules.judge(new Stored("DONE", 100, T0), job("IN_PROGRESS", 50, T1))).isEqualTo(Change.STALE);
        assertThat(ChangeRules.judge(new Stored("IN_PROGRESS", 50, T0), job("PENDING", null, T1))).isEqualTo(Change.STALE);
        assertThat(ChangeRules.judge(new Stored("ERROR", null, T0), job("DONE", 100, T1))).isEqualTo(Change.STALE);
    }

    @Test
    void the_same_status_and_progress_or_none_given_is_unchanged() {
        assertThat(ChangeRules.judge(new Stored("IN_PROGRESS", 40, T0), job("IN_PROGRESS", 40, T0))).isEqualTo(Change.UNCHANGED);
        assertThat(ChangeRules.judge(new Stored("IN_PROGRESS", 40, T0), job("IN_PROGRESS", null, null))).isEqualTo(Change.UNCHANGED);
    }

    @Test
    void the_same_state_that_fills_in_a_missing_progress_or_time_is_refined() {
        assertThat(ChangeRules.judge(new Stored("IN_PROGRESS", null, T0), job("IN_PROGRESS", 40, T0))).isEqualTo(Change.REFINED);
        assertThat(ChangeRules.judge(new Stored("DONE", 100, null), job("DONE", 100, T1))).isEqualTo(Change.REFINED);
    }

    @Test
    void an_observation_older_than_the_stored_one_is_stale() {
        assertThat(ChangeRules.judge(new Stored("IN_PROGRESS", 60, T1), job("IN_PROGRESS", 40, T0))).isEqualTo(Change.STALE);
    }

    @Test
    void a_later_status_or_progress_is_changed() {
        assertThat(ChangeRules.judge(new Stored("PENDING", null, T0), job("IN_PROGRESS", 10, T1))).isEqualTo(Change.CHANGED);
        assertThat(ChangeRules.judge(new Stored("IN_PROGRESS", 10, T0), job("IN_PROGRESS", 70, T1))).isEqualTo(Change.CHANGED);
        assertThat(ChangeRules.judge(new Stored("IN_PROGRESS", 70, T0), job("ERROR", null, T1))).isEqualTo(Change.CHANGED);
    }

    @Test
    void a_fingerprint_is_the_status_and_the_progress_the_same_for_an_observation_and_its_stored_state() {
        assertThat(job("IN_PROGRESS", 45, T0).fingerprint()).isEqualTo("IN_PROGRESS|45")
                .isEqualTo(new Stored("IN_PROGRESS", 45, T1).fingerprint());
        assertThat(job("PENDING", null, T0).fingerprint()).isEqualTo("PENDING|").isEqualTo(new Stored("PENDING", null, null).fingerprint());
        assertThat(job("IN_PROGRESS", 45, T0).fingerprint()).isNotEqualTo(job("IN_PROGRESS", 46, T0).fingerprint());
        assertThat(job("DONE", 100, T0).fingerprint()).isNotEqualTo(job("ERROR", 100, T0).fingerprint());
    }

    @Test
    void the_api_s_own_states_share_one_fingerprint_instance_and_any_other_state_still_has_its_own() {
        // the cache of what was last seen holds one per job: the API's states must not cost a string each
        assertThat(job("IN_PROGRESS", 45, T0).fingerprint()).isSameAs(new Stored("IN_PROGRESS", 45, T1).fingerprint());
        assertThat(job("DONE", null, T0).fingerprint()).isSameAs(job("DONE", null, T1).fingerprint());
        assertThat(job("QUEUED_BY_VENDOR", 7, T0).fingerprint()).isEqualTo("QUEUED_BY_VENDOR|7");
        assertThat(new Stored("IN_PROGRESS", 250, T0).fingerprint()).isEqualTo("IN_PROGRESS|250");
        assertThat(new Stored("IN_PROGRESS", -1, T0).fingerprint()).isEqualTo("IN_PROGRESS|-1")
                .isNotEqualTo(new Stored("IN_PROGRESS", null, T0).fingerprint());
    }

    private static JobSnapshot job(String status, Integer progress, Instant updatedAt) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", "cm4jobRules1");
        json.put("type", "EXTRACTION");
        json.put("status", status);
        json.put("targetId", "cm4docRules1");
        if (progress != null) {
            json.put("progress", progress);
        }
        json.put("createdAt", T0.minusSeconds(60).toString());
        if (updatedAt != null) {
            json.put("updatedAt", updatedAt.toString());
        }
        return JobSnapshot.of(json);
    }
}
