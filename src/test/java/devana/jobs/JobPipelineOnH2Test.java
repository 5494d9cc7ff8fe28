package devana.jobs;

import java.nio.file.Path;

/** The pipeline suite on the embedded default: an H2 file database. */
class JobPipelineOnH2Test extends JobPipelineTest {

    @Override
    protected TestDatabase openDatabase(Path dataDir) {
        return TestDatabase.h2(dataDir);
    }
}
