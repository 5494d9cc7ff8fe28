package devana.emulator;

/** What a job created by a reextract/reindex call does next. */
public enum RetryOutcome {
    SUCCEED,
    FAIL,
    STAY_PENDING
}
