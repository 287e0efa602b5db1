// The hidden suite, one test file whose checks come from the modules below, in this order. One file
// because every test file of a run gets a fresh worker thread with vitest's runtime, the harness
// and the simulator loaded anew, which costs more than a short check (most runs of a proof are).
import './cache-aside.checks.ts';
import './schedules.checks.ts';
