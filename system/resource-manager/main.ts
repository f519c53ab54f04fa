// The resource-manager process: a 2PC participant owning the `rm` database of radio cells.
import { runParticipant } from '../participant/run.ts';
import { createRmDomain } from './domain.ts';

runParticipant('resource-manager', createRmDomain);
