// Preloaded into a service with NODE_OPTIONS="--import=<this file>" by `rig bench --profile DIR` (Node 20 refuses
// --cpu-prof in NODE_OPTIONS, and the cluster starts services with a fixed command line). It samples the whole
// process with V8's profiler and, when the process exits (the services exit cleanly on SIGTERM), writes
// $BENCH_CPU_PROFILE_DIR/<pid>.cpuprofile, the same format `node --cpu-prof` writes. The inspector session is
// in-process, so stopping and writing within the synchronous 'exit' handler works.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err || !result) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
