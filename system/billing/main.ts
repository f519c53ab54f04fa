// The billing process: a 2PC participant owning the `billing` database of subscriber accounts.
import { runParticipant } from '../participant/run.ts';
import { createBillingDomain } from './domain.ts';

runParticipant('billing', createBillingDomain);
